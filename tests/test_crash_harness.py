"""A short crash harness run (real `bookshelf serve`, SIGKILLed 4 times), and proof its checks bite."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from scripts import crash_checks as checks
from scripts.crash_harness import run


@pytest.mark.slow
def test_four_kills_lose_and_double_nothing(tmp_path: Path) -> None:
    totals = run(tmp_path, kills=4, files=40, seed=3, log=lambda _: None)
    assert totals.violations == []
    assert totals.kills == 4 and totals.files == 40
    assert totals.books >= 30 and totals.syncs > 0 and totals.approvals > 0

    # The same checks on a tampered copy must complain: a harness that cannot fail proves nothing.
    data, inbox = tmp_path / "data", tmp_path / "data" / "inbox"
    ledger = checks.Ledger(sources=[checks.Source("ghost.epub", "0" * 64, "", via="drop", acknowledged=True)],
                           syncs=[checks.Sync("f" * 32, "D" * 32, "/never/written", 0.5)])  # fmt: skip
    with closing(checks.read_only(data / "bookshelf.db")) as conn:
        assert checks.integrity(conn) == []
        assert any(v.startswith("lost: ghost.epub") for v in checks.accounting(conn, data, inbox, ledger))
        assert checks.syncs_kept(conn, ledger) == [f"lost sync: {'f' * 32} /never/written acknowledged but not "
                                                   "in reading_history"]  # fmt: skip
    with closing(sqlite3.connect(data / "bookshelf.db")) as conn:
        root, path = conn.execute("SELECT root, path FROM files LIMIT 1").fetchone()
    (data / root / path).unlink()
    assert any("is missing" in v for v in checks.doctor(data, inbox))
