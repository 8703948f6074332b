"""Server-side render time of each UI page for a signed-in session (median and p95 of 200 requests)."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bookshelf.runtime import Runtime
from bookshelf.settings import load
from bookshelf.web.app import create_app

PAGES = ("/", "/inbox", "/library", "/reading", "/stats", "/jobs", "/settings")
ROUNDS = 200


async def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load(environ={}, data_dir=str(Path(tmp) / "data"), start_watcher=False, start_consumer=False)
        rt = await Runtime.open(settings, background=False)
        try:
            key, _raw = await rt.keys.setup("bench")
            cookie, _ = await rt.sessions.open_for(key.id)
            transport = httpx.ASGITransport(app=create_app(settings, rt))
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                client.cookies.set("bookshelf_session", cookie)
                for path in PAGES:
                    times = []
                    for _ in range(ROUNDS):
                        started = time.perf_counter()
                        response = await client.get(path)
                        times.append((time.perf_counter() - started) * 1000)
                        assert response.status_code == 200, (path, response.status_code)
                    times.sort()
                    p95 = times[int(len(times) * 0.95)]
                    print(f"ui page {path:<10} median {statistics.median(times):6.2f} ms   p95 {p95:6.2f} ms")
        finally:
            await rt.close()


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
