"""SQLite connections: one serialised writer and a small pool of concurrent readers."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import aiosqlite

from bookshelf import folding
from bookshelf.db import inline
from bookshelf.db.priority import PriorityLock

BUSY_TIMEOUT_MS = 10_000
# The event loop's own reader may wait this long for a lock before its read moves to the pool.
INLINE_BUSY_TIMEOUT_MS = 20
T = TypeVar("T")


def configure(conn: sqlite3.Connection) -> None:
    """Pragmas every connection gets (WAL survives a killed process at synchronous=NORMAL)."""
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA temp_store=MEMORY")
    conn.execute("PRAGMA cache_size=-16000")
    folding.register(conn)  # the search index triggers fold what they index


def connect_sync(path: Path) -> sqlite3.Connection:
    """A plain connection for start-up work and command-line tools."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    configure(conn)
    return conn


class Database:
    """The async face of the database file.

    Writes go through :meth:`write`, which serialises them with a lock and
    ``BEGIN IMMEDIATE`` so that two writers never race for the lock inside
    SQLite. Reads borrow one of ``readers`` connections and run concurrently.
    """

    def __init__(self, path: Path, readers: int = 3) -> None:
        self.path = path
        self._reader_count = readers
        self._writer: aiosqlite.Connection | None = None
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all_readers: list[aiosqlite.Connection] = []
        self._write_lock = PriorityLock()  # requests before background work
        self._inline: sqlite3.Connection | None = None

    async def open(self) -> None:
        self._writer = await self._connect()
        self._inline = connect_sync(self.path)
        self._inline.execute(f"PRAGMA busy_timeout={INLINE_BUSY_TIMEOUT_MS}")
        for _ in range(self._reader_count):
            conn = await self._connect()
            self._all_readers.append(conn)
            self._readers.put_nowait(conn)

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        await in_thread(conn, configure)
        return conn

    async def close(self) -> None:
        if self._inline is not None:
            self._inline.close()
            self._inline = None
        for conn in self._all_readers:
            await conn.close()
        self._all_readers.clear()
        if self._writer is not None:
            await self._writer.close()
            self._writer = None

    @asynccontextmanager
    async def write(self, durable: bool = False) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction. ``durable`` commits with synchronous=FULL (power-cut safe)."""
        assert self._writer is not None, "database is not open"
        async with self._write_lock:
            conn = self._writer
            if durable:
                await conn.execute("PRAGMA synchronous=FULL")
            try:
                await conn.execute("BEGIN IMMEDIATE")
            except BaseException:
                # Cancelled while BEGIN was in flight: it still runs on the connection's thread,
                # so roll it back rather than leave the one writer inside a transaction.
                await _rollback_if_open(conn)
                raise
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            else:
                await conn.execute("COMMIT")
            finally:
                if durable:
                    await conn.execute("PRAGMA synchronous=NORMAL")

    async def run_write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` on the writer's plain connection in one transaction and one trip to its thread.

        For hot paths: every statement through :meth:`write` is a round trip to
        aiosqlite's thread, which costs more than the statement itself.
        """
        assert self._writer is not None, "database is not open"
        async with self._write_lock:
            return await in_thread(self._writer, lambda raw: _transaction(raw, work))

    async def transaction(self, work: inline.Work[T], durable: bool = False) -> T:
        """Run the db function ``work`` as one write transaction in one trip to the writer's thread.

        For hot paths, with the functions of the db modules as they are (see db.inline).
        ``durable`` commits with synchronous=FULL, as :meth:`write` does.
        """
        assert self._writer is not None, "database is not open"
        async with self._write_lock:
            writer = self._writer
            return await in_thread(writer, lambda raw: _inline_transaction(raw, work, durable))

    async def reading(self, work: inline.Work[T]) -> T:
        """Run the db function ``work`` on a pooled reader in one trip to its thread."""
        async with self.read() as conn:
            return await in_thread(conn, lambda raw: inline.drive(raw, work))

    async def run_read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` on a pooled reader's plain connection in one trip to its thread (hot paths)."""
        async with self.read() as conn:
            return await in_thread(conn, work)

    async def read_inline(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run a point read (a few index lookups) on the event loop's own connection, no thread hop.

        For the hottest reads only (a KOReader pull): handing a 30 microsecond
        query to a pool thread and back costs several times the query. WAL
        readers do not wait for the writer; should the file be locked anyway
        (recovery, a restore), the read gives up within INLINE_BUSY_TIMEOUT_MS
        and runs on the pool instead, so the loop is never held long.
        """
        conn = self._inline
        if conn is None or conn.in_transaction:
            return await self.run_read(work)
        try:
            return work(conn)
        except sqlite3.OperationalError as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if exc.sqlite_errorcode & 0xFF not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):  # extended codes too
                raise
        return await self.run_read(work)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        """A connection for reads; statements see a consistent snapshot per statement."""
        conn = await self._readers.get()
        try:
            yield conn
        finally:
            self._readers.put_nowait(conn)

    async def fetchall(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        async with self.read() as conn:
            return await fetchall(conn, sql, params)

    async def fetchone(self, sql: str, params: tuple | dict = ()) -> sqlite3.Row | None:
        async with self.read() as conn:
            return await fetchone(conn, sql, params)

    async def ping(self) -> bool:
        try:
            row = await self.fetchone("SELECT 1")
        except (sqlite3.Error, ValueError):
            return False
        return row is not None


def _transaction(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = work(conn)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return result


def _inline_transaction(conn: sqlite3.Connection, work: inline.Work[T], durable: bool) -> T:
    if durable:
        conn.execute("PRAGMA synchronous=FULL")
    try:
        return _transaction(conn, lambda plain: inline.drive(plain, work))
    finally:
        if durable:
            conn.execute("PRAGMA synchronous=NORMAL")


async def _rollback_if_open(conn: aiosqlite.Connection) -> None:
    try:
        await conn.execute("ROLLBACK")
    except sqlite3.OperationalError:
        pass  # BEGIN itself failed: no transaction is open


async def in_thread(conn: aiosqlite.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``work`` on the plain connection inside ``conn``'s own thread: one trip, however many statements."""
    return await conn._execute(work, conn._conn)  # type: ignore[attr-defined, no-any-return]


# Each helper is one trip to the connection's thread: execute, fetch and close as three
# awaits cost three hand-offs, more than most of our statements take to run.


async def fetchall(conn: aiosqlite.Connection, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
    return list(await conn.execute_fetchall(sql, params))


def _first(conn: sqlite3.Connection, sql: str, params: tuple | dict) -> sqlite3.Row | None:
    cursor = conn.execute(sql, params)
    try:
        row: sqlite3.Row | None = cursor.fetchone()
        return row
    finally:
        cursor.close()


async def fetchone(conn: aiosqlite.Connection, sql: str, params: tuple | dict = ()) -> sqlite3.Row | None:
    return await in_thread(conn, lambda raw: _first(raw, sql, params))
