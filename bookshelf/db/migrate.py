"""Numbered migrations: each applied once, in one transaction with its version row."""

from __future__ import annotations

import re
import sqlite3
from importlib import resources
from pathlib import Path

from bookshelf.db.connection import connect_sync

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def available() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every migration shipped with the package, in order."""
    found = []
    for entry in resources.files("bookshelf.db").joinpath("migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def applied(conn: sqlite3.Connection) -> set[int]:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    return {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}


def migrate(path: Path) -> list[str]:
    """Apply pending migrations to the database at ``path``; returns their names."""
    conn = connect_sync(path)
    try:
        return apply_pending(conn)
    finally:
        conn.close()


def apply_pending(conn: sqlite3.Connection) -> list[str]:
    done = applied(conn)
    names = []
    for version, name, sql in available():
        if version in done:
            continue
        # executescript would commit on its own; wrapping the script keeps the
        # migration and its version row in one transaction.
        script = (
            "BEGIN IMMEDIATE;\n" + sql + "\n;INSERT INTO schema_migrations (version, name, applied_at) "
            f"VALUES ({version}, '{name}', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));\nCOMMIT;"
        )
        try:
            conn.executescript(script)
        except sqlite3.Error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        names.append(name)
    return names


def pending(conn: sqlite3.Connection) -> list[str]:
    done = applied(conn)
    return [name for version, name, _ in available() if version not in done]
