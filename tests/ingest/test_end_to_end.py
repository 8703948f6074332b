"""`bookshelf serve` and `bookshelf import` as real processes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.builders import make_epub, make_pdf
from tests.serve import running_server


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKSHELF_")}
    return subprocess.run([sys.executable, "-m", "bookshelf", *args], capture_output=True, text=True, env=env,
                          timeout=120)  # fmt: skip


def test_serve_takes_files_copied_into_its_inbox(tmp_path: Path) -> None:
    data = tmp_path / "data"
    staging = tmp_path / "staging"
    staging.mkdir()
    for i in range(5):
        make_epub(staging / f"book {i}.epub", title=f"Served {i}", authors=["Server Side"])
    make_pdf(staging / "paper.pdf", title="A Served PDF")
    with running_server(data, env={"BOOKSHELF_WATCH_SETTLE_SECONDS": "0.3"}) as server:
        key = httpx.post(server.base_url + "/api/auth/setup", json={"label": "e2e"}).json()["key"]
        headers = {"X-API-Key": key}
        health = httpx.get(server.base_url + "/api/health", headers=headers).json()
        assert health["checks"]["queue"]["running"] and health["checks"]["watcher"]["running"]
        for path in staging.iterdir():
            shutil.copy(path, data / "inbox" / path.name)
        deadline = time.monotonic() + 30
        while True:
            count = httpx.get(server.base_url + "/api/inbox/count", headers=headers).json()
            if count["byStatus"]["review"] == 6:
                break
            assert time.monotonic() < deadline, f"not all in review: {count}\n{server.log()}"
            time.sleep(0.1)
        titles = {b["title"] for b in httpx.get(server.base_url + "/api/inbox", headers=headers).json()["data"]}
        assert titles == {f"Served {i}" for i in range(5)} | {"A Served PDF"}
        assert list((data / "inbox").iterdir()) == []
    assert server.process.returncode == 0, server.log()
    assert "Traceback" not in server.log()


def test_import_command(tmp_path: Path) -> None:
    source = tmp_path / "library"
    (source / "sub").mkdir(parents=True)
    make_epub(source / "one.epub", title="Imported One")
    make_epub(source / "sub" / "two.epub", title="Imported Two")
    (source / "sub" / "broken.epub").write_bytes(b"PK\x03\x04broken")
    (source / "notes.txt").write_text("not a book")
    before = {p: p.read_bytes() for p in source.rglob("*") if p.is_file()}
    data = tmp_path / "data"

    result = run_cli("import", str(source), "--data-dir", str(data))
    assert result.returncode == 1, result.stderr  # one failure
    assert "imported 2, duplicates 0, failed 1, skipped 1" in result.stdout
    assert "broken.epub: The file starts like a zip archive but is damaged" in result.stdout
    assert {p: p.read_bytes() for p in source.rglob("*") if p.is_file()} == before, "copies leave sources alone"

    again = run_cli("import", str(source / "one.epub"), "--data-dir", str(data))
    assert again.returncode == 0 and "imported 0, duplicates 1" in again.stdout
    assert (source / "one.epub").exists() and list((data / "duplicates").iterdir()) == []

    fresh = tmp_path / "fresh.epub"
    make_epub(fresh, title="Moved In")
    moved = run_cli("import", "--move", str(fresh), "--data-dir", str(data))
    assert moved.returncode == 0 and "imported 1" in moved.stdout and not fresh.exists()

    with running_server(data) as server:
        key = run_cli("keys", "create", "--label", "t", "--data-dir", str(data)).stdout.strip()
        count = httpx.get(server.base_url + "/api/inbox/count", headers={"X-API-Key": key}).json()
        assert count == {"count": 4, "byStatus": {"processing": 0, "review": 3, "failed": 1}}
        failed = httpx.get(server.base_url + "/api/jobs/failed", headers={"X-API-Key": key}).json()
        assert failed["total"] == 1 and "damaged" in failed["jobs"][0]["error"]
        # The CLI parsed; the lookups it queued are the server's (Open Library is unreachable here).
        waits = httpx.get(server.base_url + "/api/inbox/processing", params={"include": "lookups"},
                          headers={"X-API-Key": key}).json()  # fmt: skip
        assert len(waits["lookups"]) == 3 and all(w["waiting"] == ["openlibrary"] for w in waits["lookups"].values())
    missing = run_cli("import", str(tmp_path / "nowhere"), "--data-dir", str(data))
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_ctrl_c_mid_ingest_stops_promptly_and_loses_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    staging = tmp_path / "staging"
    staging.mkdir()
    for i in range(40):
        make_epub(staging / f"b{i:02d}.epub", title=f"Interrupted {i:02d}", body_bytes=50_000)
    env = {"BOOKSHELF_WATCH_SETTLE_SECONDS": "0.1"}
    with running_server(data, env=env) as server:
        key = httpx.post(server.base_url + "/api/auth/setup", json={"label": "e2e"}).json()["key"]
        for path in staging.iterdir():
            os.rename(path, data / "inbox" / path.name)
        deadline = time.monotonic() + 20
        while httpx.get(server.base_url + "/api/inbox/count", headers={"X-API-Key": key}).json()["count"] < 5:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        started = time.monotonic()
        server.process.send_signal(signal.SIGINT)
        server.process.wait(15)
        assert time.monotonic() - started < 10, "Ctrl-C must stop the server promptly"
    assert "Traceback" not in server.log(), server.log()

    with running_server(data, env=env) as server:
        deadline = time.monotonic() + 30
        while True:
            count = httpx.get(server.base_url + "/api/inbox/count", headers={"X-API-Key": key}).json()
            if count["byStatus"]["review"] == 40:
                break
            assert time.monotonic() < deadline, f"{count}\n{server.log()}"
            time.sleep(0.1)
    assert list((data / "inbox").iterdir()) == [] and list((data / "duplicates").iterdir()) == []
