"""A burst of concurrent KOReader PUTs against `bookshelf serve`: GET answers the last committed write."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx

from tests.reading.helpers import koreader_headers
from tests.serve import read_db, running_server

DOC = "0123456789abcdef0123456789abcdef"
THREADS, EACH = 20, 10


def test_two_hundred_puts_from_twenty_threads(tmp_path: Path) -> None:
    env = {"BOOKSHELF_KOSYNC_USERNAME": "burst", "BOOKSHELF_KOSYNC_PASSWORD": "burst pw"}
    headers = {**koreader_headers("burst", "burst pw"), "content-type": "application/json"}
    failures: list[str] = []
    with running_server(tmp_path / "data", env=env) as server:

        def device(n: int) -> None:
            with httpx.Client(base_url=server.base_url, timeout=30) as http:
                for step in range(EACH):
                    percentage = round((n * EACH + step + 1) / 1000, 4)  # every write is told apart
                    body = {"document": DOC, "progress": str(step), "percentage": percentage,
                            "device": f"device {n}", "device_id": f"{n:032X}"}  # fmt: skip
                    answer = http.put("/kosync/syncs/progress", content=json.dumps(body), headers=headers)
                    if answer.status_code != 200:
                        failures.append(answer.text)

        threads = [threading.Thread(target=device, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not failures, failures[:3]
        got = httpx.get(f"{server.base_url}/kosync/syncs/progress/{DOC}", headers=headers, timeout=30).json()
    rows = read_db(
        tmp_path / "data", f"SELECT percentage, device FROM reading_history WHERE document = '{DOC}' ORDER BY id"
    )
    assert len(rows) == THREADS * EACH
    last = rows[-1]  # the history's id is its commit order
    assert (got["percentage"], got["device"]) == (last["percentage"], last["device"])
