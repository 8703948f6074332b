"""What the crash harness asserts after each restart: nothing lost, nothing doubled, nothing orphaned.

Each check reads the database (read-only) and the data folder of a quiet server and returns
violations as plain sentences; an empty list means the invariant holds.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Source:
    """One file the harness handed to bookshelf (dropped or uploaded)."""

    name: str
    sha256: str
    koreader: str
    via: str = ""  # "drop" | "upload" | "" (not sent yet)
    acknowledged: bool = False  # a drop is always; an upload only when the answer arrived
    book: bool = True  # False for files that are not books at all (they stay in the inbox)


@dataclass
class Sync:
    document: str
    device_id: str
    progress: str
    percentage: float


@dataclass
class Ledger:
    """Everything the harness did that bookshelf must remember."""

    sources: list[Source] = field(default_factory=list)
    syncs: list[Sync] = field(default_factory=list)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_only(db_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    conn.row_factory = sqlite3.Row
    return conn


def integrity(conn: sqlite3.Connection) -> list[str]:
    rows = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    return [] if rows == ["ok"] else [f"integrity_check: {'; '.join(rows[:5])}"]


def shas_in(folder: Path) -> Counter[str]:
    """sha256 of every regular file under ``folder`` (empty files included: they are leftovers)."""
    found: Counter[str] = Counter()
    if folder.is_dir():
        for path in folder.rglob("*"):
            if path.is_file() and not path.is_symlink():
                found[sha256_of(path)] += 1
    return found


def accounting(conn: sqlite3.Connection, data_dir: Path, inbox: Path, ledger: Ledger) -> list[str]:
    """Every sent file is a book's file (now or by an earlier hash), a kept duplicate, or still
    in the inbox; never in two books, and never more copies than were sent."""
    problems: list[str] = []
    for row in conn.execute("SELECT sha256, count(*) AS n FROM files GROUP BY sha256 HAVING n > 1"):
        problems.append(f"doubled: {row['n']} file rows share sha256 {row['sha256'][:12]}")
    # Organizing re-embeds metadata, so a file's sha256 changes; its history keeps the old one.
    owners: dict[str, set[str]] = {}
    for row in conn.execute("SELECT sha256 AS value, id FROM files UNION "
                            "SELECT value, file_id FROM file_hashes WHERE kind = 'sha256'"):  # fmt: skip
        owners.setdefault(row["value"], set()).add(row["id"])
    duplicates, waiting = shas_in(data_dir / "duplicates"), shas_in(inbox)
    sent = Counter(s.sha256 for s in ledger.sources if s.via)
    acknowledged = Counter(s.sha256 for s in ledger.sources if s.acknowledged)
    names = {s.sha256: s.name for s in ledger.sources}
    for sha, count in sent.items():
        in_books = len(owners.get(sha, ()))
        if in_books > 1:
            problems.append(f"doubled: {names[sha]} belongs to {in_books} files")
        held = min(in_books, 1) + duplicates[sha] + waiting[sha]
        if held < acknowledged[sha]:
            problems.append(f"lost: {names[sha]} sent {acknowledged[sha]}x acknowledged, found {held}x")
        if held > count:
            problems.append(f"doubled: {names[sha]} sent {count}x, found {held}x")
    empty = hashlib.sha256(b"").hexdigest()
    if duplicates[empty]:
        problems.append(f"orphan: {duplicates[empty]} empty file(s) left in data/duplicates")
    return problems


def orphans(conn: sqlite3.Connection) -> list[str]:
    """Rows that nothing on disk or in the database explains."""
    problems = []
    for row in conn.execute("SELECT id, status FROM books WHERE id NOT IN (SELECT book_id FROM files)"):
        problems.append(f"orphan: book {row['id']} ({row['status']}) has no file")
    for row in conn.execute("SELECT id, src_path, dst_path FROM file_moves WHERE state = 'planned'"):
        problems.append(f"unfinished move {row['id']}: {row['src_path']} -> {row['dst_path']}")
    return problems


def queue_idle(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT count(*) FROM jobs WHERE state IN ('waiting', 'active')").fetchone()
    return row[0] == 0


def syncs_kept(conn: sqlite3.Connection, ledger: Ledger) -> list[str]:
    """Every PUT that was answered 200 is in the reading history."""
    kept = {(r["document"], r["progress"]) for r in conn.execute("SELECT document, progress FROM reading_history")}
    missing = [s for s in ledger.syncs if (s.document, s.progress) not in kept]
    return [f"lost sync: {s.document} {s.progress} acknowledged but not in reading_history" for s in missing[:10]] + (
        [f"... and {len(missing) - 10} more lost syncs"] if len(missing) > 10 else []
    )


def doctor(data_dir: Path, inbox: Path) -> list[str]:
    """`bookshelf doctor` (full hash check): any problem is a violation; information is allowed."""
    from bookshelf.services.operations import doctor as doctor_service
    from bookshelf.settings import load

    settings = load(environ={}, data_dir=str(data_dir), inbox_dir=str(inbox))
    report = doctor_service.run(settings, verify_hashes=True)
    return [f"doctor: {f.check}: {f.message}" for f in report.problems]
