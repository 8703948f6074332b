"""Running the db functions (written against aiosqlite) inside a connection's own thread, in one trip.

Every ``await conn.execute(...)`` through aiosqlite is a hand-off to the
connection's thread and back; a transaction of twenty statements costs twenty
of them, more than the statements themselves. ``Inline`` gives a plain
sqlite3 connection aiosqlite's awaitable face, so the same functions run on
the connection's thread with every await completing at once, and ``drive``
runs such a coroutine to its end without an event loop. Only for functions
that await nothing but their connection: anything else is refused.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, TypeVar, cast

import aiosqlite

T = TypeVar("T")
Work = Callable[[aiosqlite.Connection], Coroutine[Any, Any, T]]


class InlineCursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class Inline:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Any = ()) -> InlineCursor:
        return InlineCursor(self._conn.execute(sql, params))

    async def executemany(self, sql: str, rows: Iterable[Any]) -> InlineCursor:
        return InlineCursor(self._conn.executemany(sql, rows))

    async def execute_fetchall(self, sql: str, params: Any = ()) -> list[Any]:
        return self._conn.execute(sql, params).fetchall()

    async def _execute(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return fn(*args, **kwargs)


def drive(conn: sqlite3.Connection, work: Work[T]) -> T:
    """Run ``work`` on ``conn`` (in the calling thread) to its end."""
    coro = work(cast(aiosqlite.Connection, Inline(conn)))
    try:
        coro.send(None)
    except StopIteration as done:
        return cast(T, done.value)
    coro.close()
    raise RuntimeError("a database function run inline awaited something other than its connection")
