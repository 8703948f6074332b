"""`bookshelf doctor`: compare the database with itself and with the disk, and say what is wrong."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bookshelf import clock
from bookshelf.db import checks
from bookshelf.db import search as search_sql
from bookshelf.db.connection import connect_sync
from bookshelf.db.migrate import apply_pending, pending
from bookshelf.services.organize.recovery import recover_stopped
from bookshelf.services.storage.durable import sha256_of
from bookshelf.settings import Settings

STUCK_AFTER = timedelta(hours=1)


@dataclass
class Finding:
    check: str
    severity: str  # "problem" | "info"
    message: str
    fixable: bool = False


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    fixed: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "problem"]

    def add(self, check: str, message: str, severity: str = "problem", fixable: bool = False) -> None:
        self.findings.append(Finding(check, severity, message, fixable))

    def render(self) -> str:
        lines = ["checked: " + ", ".join(f"{k} {v}" for k, v in self.checked.items())]
        for finding in self.findings:
            mark = "PROBLEM" if finding.severity == "problem" else "info"
            hint = " (--fix repairs this)" if finding.fixable else ""
            lines.append(f"{mark:7} {finding.check}: {finding.message}{hint}")
        lines.extend(f"fixed   {item}" for item in self.fixed)
        lines.append("no problems found" if not self.problems else f"{len(self.problems)} problem(s) found")
        return "\n".join(lines)


def run(settings: Settings, fix: bool = False, verify_hashes: bool = True) -> Report:
    report = Report()
    if not settings.db_path.exists():
        report.add("database", f"no database at {settings.db_path}")
        return report
    conn = connect_sync(settings.db_path)
    try:
        _integrity(conn, report)
        _migrations(conn, report, fix)
        _search_index(conn, report, fix)
        _files(conn, settings, report, verify_hashes)
        _untracked(conn, settings, report)
        _moves(conn, settings, report, fix)
        _jobs(conn, report, fix)
    finally:
        conn.close()
    return report


def _integrity(conn: sqlite3.Connection, report: Report) -> None:
    rows = checks.integrity(conn)
    if rows != ["ok"]:
        report.add("integrity", "; ".join(rows[:5]))


def _migrations(conn: sqlite3.Connection, report: Report, fix: bool) -> None:
    missing = pending(conn)
    if missing:
        report.add("migrations", "not applied: " + ", ".join(missing), fixable=True)
        if fix:
            apply_pending(conn)
            report.fixed.append("applied migrations " + ", ".join(missing))


def _search_index(conn: sqlite3.Connection, report: Report, fix: bool) -> None:
    try:
        checks.check_search_index(conn)
        if search_sql.index_agrees(conn):
            return
        report.add("search index", "out of step with the books table or folded the old way", fixable=True)
    except sqlite3.DatabaseError as exc:
        report.add("search index", f"damaged ({exc})", fixable=True)
    if fix:
        search_sql.rebuild_all(conn, tidy=False)
        report.fixed.append("rebuilt the search index")


def _files(conn: sqlite3.Connection, settings: Settings, report: Report, verify_hashes: bool) -> None:
    roots = {"incoming": settings.incoming_dir, "library": settings.library_dir}
    count = 0
    for row in checks.file_rows(conn):
        count += 1
        base = roots.get(row["root"])
        path = Path(row["path"]) if base is None else base / row["path"]
        if not path.is_file():
            report.add("files", f"file {row['id']} of book {row['book_id']} is missing: {path}")
            continue
        size = path.stat().st_size
        if size != row["size"]:
            report.add("files", f"{path} is {size} bytes, the database says {row['size']}")
        elif verify_hashes and sha256_of(path) != row["sha256"]:
            report.add("files", f"{path} does not match its recorded SHA-256")
    report.checked["files"] = count


def _untracked(conn: sqlite3.Connection, settings: Settings, report: Report) -> None:
    known = checks.file_locations(conn)
    for root, base in (("library", settings.library_dir), ("incoming", settings.incoming_dir)):
        if not base.is_dir():
            continue
        for path in base.rglob("*"):
            if path.is_file() and (root, path.relative_to(base).as_posix()) not in known:
                # Listed, never deleted: it may be a file kept on purpose (keepFiles) or a user's own.
                report.add("untracked", f"{path} has no database row", severity="info")


def _moves(conn: sqlite3.Connection, settings: Settings, report: Report, fix: bool) -> None:
    rows = checks.planned_moves(conn)
    for row in rows:
        report.add("moves", f"interrupted move {row['id']}: {row['src_path']} -> {row['dst_path']}", fixable=True)
    if fix and rows:
        # The same settling start-up runs: the disk decides whether each move completes or rolls back.
        counts = recover_stopped(settings)
        report.fixed.append(
            f"settled {len(rows)} interrupted move(s): {counts['done']} completed, {counts['rolled_back']} rolled back"
        )


def _jobs(conn: sqlite3.Connection, report: Report, fix: bool) -> None:
    cutoff = clock.iso(clock.now() - STUCK_AFTER)
    stuck = checks.stuck_jobs(conn, cutoff)
    for row in stuck:
        report.add("jobs", f"job {row['id']} ({row['queue']}/{row['task']}) has been active for over an hour",
                   fixable=True)  # fmt: skip
    if fix and stuck:
        checks.requeue_stuck(conn, cutoff)
        report.fixed.append(f"requeued {len(stuck)} stuck job(s); they run at the next start")
    report.checked["jobs"] = checks.job_count(conn)
