"""`bookshelf doctor --fix` on a stopped data folder settles a move that a SIGKILL left half done."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.organize.test_sigkill import BOOKS, prepare
from tests.serve import read_db, running_server


def planned(data_dir: Path) -> int:
    return int(read_db(data_dir, "SELECT count(*) FROM file_moves WHERE state = 'planned'")[0][0])


def kill_with_a_move_in_flight(data_dir: Path, key: str) -> bool:
    """Start a reorganize and SIGKILL the server the moment a journaled move is not yet finished."""
    with running_server(data_dir) as server:
        response = httpx.post(server.base_url + "/api/library/reorganize",
                              headers={"Authorization": f"Bearer {key}"}, timeout=10)  # fmt: skip
        assert response.status_code == 202, response.text
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and planned(data_dir) == 0:
            time.sleep(0.001)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(10)
    return planned(data_dir) > 0


def doctor(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bookshelf", "doctor", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=120)  # fmt: skip


@pytest.mark.slow
async def test_doctor_fix_settles_a_move_left_half_done_by_sigkill(tmp_path: Path) -> None:
    key = await prepare(tmp_path)
    data_dir = tmp_path / "data"
    for _ in range(5):  # a kill can land between two moves; try again until one is caught mid-way
        if kill_with_a_move_in_flight(data_dir, key):
            break
    left = planned(data_dir)
    assert left > 0, "no kill landed while a move was in flight"

    before = doctor(data_dir, "--quick")
    assert "interrupted move" in before.stdout and "(--fix repairs this)" in before.stdout, before.stdout
    fixed = doctor(data_dir, "--fix", "--quick")
    assert f"settled {left} interrupted move(s)" in fixed.stdout, fixed.stdout + fixed.stderr

    assert planned(data_dir) == 0
    files = read_db(data_dir, "SELECT root, path, sha256 FROM files")
    assert len(files) == BOOKS
    roots = {"library": data_dir / "library", "incoming": data_dir / "incoming"}
    for row in files:
        path = roots[row["root"]] / row["path"]
        assert path.is_file(), row["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == row["sha256"], row["path"]
    on_disk = sorted(p for root in roots.values() for p in root.rglob("*") if p.is_file())
    assert sorted(roots[r["root"]] / r["path"] for r in files) == on_disk  # every file exactly once
    assert "no problems found" in doctor(data_dir).stdout
