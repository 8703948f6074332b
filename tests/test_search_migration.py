"""A data folder indexed the old way (unfolded text) is migrated, rebuilt at start and by `bookshelf reindex`."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

from bookshelf.db import migrate
from bookshelf.db.connection import connect_sync
from bookshelf.folding import FOLD_VERSION
from bookshelf.runtime import Runtime
from bookshelf.settings import Settings
from tests.library_books import add_book
from tests.serve import bookshelf_command

OLD_SCHEMA = 10  # the last migration whose index held unfolded text


def _old_data_folder(settings: Settings) -> None:
    """A database as bookshelf left it before folding: migrations up to 0010, a Greek and an Arabic book."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(settings.db_path, isolation_level=None)  # no search_fold: the old triggers need none
    try:
        migrate.applied(conn)
        for version, name, sql in migrate.available():
            if version <= OLD_SCHEMA:
                conn.executescript(
                    f"BEGIN;\n{sql}\n;INSERT INTO schema_migrations VALUES ({version}, '{name}', 'x');\nCOMMIT;"
                )
        for num, title, author in ((1, "Ὀδύσσεια", "Ὅμηρος"), (2, "ألف ليلة وليلة", "مجهول")):
            conn.execute(
                "INSERT INTO books (num, id, status, title, sort_title, authors, created_at, updated_at) "
                "VALUES (?, ?, 'organized', ?, ?, ?, 'x', 'x')",
                (num, f"b{num}", title, title.lower(), f'["{author}"]'),
            )
            conn.execute("INSERT INTO authors (id, name, sort_name) VALUES (?, ?, ?)", (num, author, author))
            conn.execute("INSERT INTO book_authors VALUES (?, ?, 0)", (num, num))
        # The old index really cannot find them: that is what the migration repairs.
        assert conn.execute("SELECT count(*) FROM books_fts WHERE books_fts MATCH 'οδυσσεια'").fetchone()[0] == 0
    finally:
        conn.close()


async def _titles(rt: Runtime, query: str) -> list[str]:
    nums = await rt.search.match(query, ("organized",))
    conn = connect_sync(rt.settings.db_path)
    try:
        marks = ",".join("?" * len(nums))
        return [r[0] for r in conn.execute(f"SELECT title FROM books WHERE num IN ({marks})", nums)]
    finally:
        conn.close()


async def test_an_old_index_is_migrated_to_folded_text(settings: Settings) -> None:
    _old_data_folder(settings)
    rt = await Runtime.open(settings, background=False)
    try:
        assert await _titles(rt, "Οδύσσεια") == ["Ὀδύσσεια"]
        assert await _titles(rt, "ομηροσ") == ["Ὀδύσσεια"]
        assert await _titles(rt, "الف") == ["ألف ليلة وليلة"]
        conn = connect_sync(settings.db_path)
        try:
            assert conn.execute("SELECT sort_title FROM books WHERE num = 1").fetchone()[0] == "οδυσσεια"
            assert conn.execute("SELECT folded FROM authors WHERE id = 1").fetchone()[0] == "ομηροσ"
            assert conn.execute("SELECT fold_version FROM search_state").fetchone()[0] == FOLD_VERSION
        finally:
            conn.close()
    finally:
        await rt.close()


def _index_unfolded(db: Path) -> None:
    """Put the books back in the index unfolded, as an older folding left them, and mark it so."""
    conn = connect_sync(db)
    try:
        conn.execute("INSERT INTO books_fts (books_fts) VALUES ('delete-all')")
        conn.execute(
            "INSERT INTO books_fts (rowid, title, authors, series, description) "
            "SELECT num, title, authors, series, description FROM books"
        )
        conn.execute("UPDATE search_state SET fold_version = 0")
    finally:
        conn.close()


async def test_start_rebuilds_an_index_of_another_folding(settings: Settings) -> None:
    rt = await Runtime.open(settings, background=False)
    try:
        await add_book(rt, "Ἰλιάς", ["Ὅμηρος"])  # short enough that no typo correction bridges the marks
    finally:
        await rt.close()
    _index_unfolded(settings.db_path)
    rt = await Runtime.open(settings, background=False)
    try:
        assert await _titles(rt, "ιλιας") == ["Ἰλιάς"]
    finally:
        await rt.close()


async def test_reindex_command_folds_the_index(settings: Settings) -> None:
    rt = await Runtime.open(settings, background=False)
    try:
        await add_book(rt, "שָׁלוֹם עֲלֵיכֶם", ["שלום עליכם"])
    finally:
        await rt.close()
    _index_unfolded(settings.db_path)
    result = subprocess.run(
        [*bookshelf_command(), "reindex", "--data-dir", str(settings.data_dir)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    conn = connect_sync(settings.db_path)
    try:
        assert conn.execute("SELECT count(*) FROM books_fts WHERE books_fts MATCH 'שלום'").fetchone()[0] == 1
        assert conn.execute("SELECT fold_version FROM search_state").fetchone()[0] == FOLD_VERSION
    finally:
        conn.close()
