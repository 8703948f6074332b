"""SQL for library imports: which source became which book, and the runs started through the API."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from bookshelf.db.connection import fetchall, fetchone

_LISTS = ("duplicates", "failed", "skipped", "notes")


async def done_sources(conn: aiosqlite.Connection, sources: Sequence[str]) -> dict[str, str]:
    """source -> book id for the sources already imported whose book still exists."""
    if not sources:
        return {}
    marks = ",".join("?" * len(sources))
    rows = await fetchall(
        conn,
        f"SELECT s.source, s.book_id FROM import_sources s JOIN books b ON b.id = s.book_id "
        f"WHERE s.source IN ({marks})",
        tuple(sources),
    )
    return {row["source"]: row["book_id"] for row in rows}


async def record_source(conn: aiosqlite.Connection, source: str, book_id: str, now: str) -> None:
    await conn.execute(
        "INSERT INTO import_sources (source, book_id, imported_at) VALUES (?, ?, ?) "
        "ON CONFLICT (source) DO UPDATE SET book_id = excluded.book_id, imported_at = excluded.imported_at",
        (source, book_id, now),
    )


async def books_with_incoming_files(conn: aiosqlite.Connection, prefix: str) -> list[str]:
    """Organized books imported from sources starting with ``prefix`` whose files are not filed yet."""
    rows = await fetchall(
        conn,
        "SELECT DISTINCT b.id, b.num FROM import_sources s JOIN books b ON b.id = s.book_id "
        "JOIN files f ON f.book_id = b.id WHERE s.source >= ? AND s.source < ? "
        "AND b.status = 'organized' AND f.root = 'incoming' ORDER BY b.num",
        (prefix, prefix + "\uffff"),
    )
    return [row["id"] for row in rows]


@dataclass
class ImportRun:
    job_id: str
    run_id: str
    mode: str
    path: str
    in_place: bool
    review: bool
    created_at: str
    updated_at: str
    total: int | None = None
    done: int = 0
    imported: int = 0
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)


async def insert_run(conn: aiosqlite.Connection, run: ImportRun) -> None:
    await conn.execute(
        "INSERT INTO import_runs (job_id, run_id, mode, path, in_place, review, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            run.job_id,
            run.run_id,
            run.mode,
            run.path,
            int(run.in_place),
            int(run.review),
            run.created_at,
            run.updated_at,
        ),
    )


async def save_counts(conn: aiosqlite.Connection, run: ImportRun) -> None:
    await conn.execute(
        "UPDATE import_runs SET total = ?, done = ?, imported = ?, duplicates = ?, failed = ?, skipped = ?, "
        "notes = ?, updated_at = ? WHERE job_id = ?",
        (run.total, run.done, run.imported, *(json.dumps(getattr(run, k), ensure_ascii=False) for k in _LISTS),
         run.updated_at, run.job_id),
    )  # fmt: skip


async def get_run(conn: aiosqlite.Connection, job_id: str) -> ImportRun | None:
    return _run(await fetchone(conn, "SELECT * FROM import_runs WHERE job_id = ?", (job_id,)))


async def run_by_id(conn: aiosqlite.Connection, run_id: str) -> ImportRun | None:
    return _run(await fetchone(conn, "SELECT * FROM import_runs WHERE run_id = ?", (run_id,)))


def _run(row: sqlite3.Row | None) -> ImportRun | None:
    if row is None:
        return None
    values = dict(row)
    for key in _LISTS:
        values[key] = json.loads(values[key] or "[]")
    values["in_place"], values["review"] = bool(values["in_place"]), bool(values["review"])
    return ImportRun(**values)
