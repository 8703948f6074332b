"""Startup time (process start to a 200 from /api/health) and idle RSS of `bookshelf serve`."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.serve import free_port, stop  # noqa: E402

RUNS = 5


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid: int) -> float:
    """User plus system CPU seconds the process has used: start-up cost that a busy machine does not inflate."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_start(
    data_dir: Path, command: list[str] | None = None, env: dict[str, str] | None = None
) -> tuple[float, float]:
    """(seconds to a 200 from /api/health, idle RSS in MB) of one start of ``command`` (default: the source)."""
    ready, rss, _ = timed_start(data_dir, command, env)
    return ready, rss


def timed_start(
    data_dir: Path, command: list[str] | None = None, env: dict[str, str] | None = None
) -> tuple[float, float, float]:
    """(seconds to ready, idle RSS in MB, CPU seconds used until ready) of one start."""
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen(
        [*(command or [sys.executable, "-m", "bookshelf"]), "serve", "--host", "127.0.0.1", "--port", str(port),
         "--data-dir", str(data_dir), "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    try:
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() - started > 30:
                raise TimeoutError("server did not start")
            time.sleep(0.01)
        ready = time.monotonic() - started
        cpu = cpu_s(process.pid)
        time.sleep(2)  # let start-up work settle before reading idle memory
        return ready, rss_mb(process.pid), cpu
    finally:
        stop(process)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        first_ready, first_rss = one_start(data)  # creates the folder and database
        results = [one_start(data) for _ in range(RUNS)]
    readies = [r for r, _ in results]
    rsses = [m for _, m in results]
    print(f"first start (empty data folder): ready in {first_ready * 1000:.0f} ms, idle RSS {first_rss:.1f} MB")
    print(f"startup: median {statistics.median(readies) * 1000:.0f} ms, max {max(readies) * 1000:.0f} ms "
          f"over {RUNS} starts (target < 1000 ms)")  # fmt: skip
    print(f"idle RSS: median {statistics.median(rsses):.1f} MB, max {max(rsses):.1f} MB (target < 60 MB)")


if __name__ == "__main__":
    main()
