"""SQLite connections: one serialised writer and a small pool of concurrent readers."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar, overload

import aiosqlite

from bookshelf import folding
from bookshelf.db import inline_conn
from bookshelf.db.checkpoint import INTERVAL_SECONDS as CHECKPOINT_SECONDS
from bookshelf.db.checkpoint import Checkpointer
from bookshelf.db.priority import PriorityLock
from bookshelf.db.write_batches import WriteBatches

BUSY_TIMEOUT_MS = 10_000
# The event loop's own reader may wait this long for a lock before its read moves to the pool.
ON_LOOP_BUSY_TIMEOUT_MS = 20
T = TypeVar("T")
# What sqlite3 takes as a statement's parameters: positional or named.
Params = tuple[Any, ...] | dict[str, Any]


def configure(conn: sqlite3.Connection, autocheckpoint: bool = True) -> None:
    """Pragmas every connection gets (WAL survives a killed process at synchronous=NORMAL).
    ``autocheckpoint=False`` for a Database's own connections: its Checkpointer thread does that."""
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA temp_store=MEMORY")
    # 8 MB a connection: the server holds six, and each grew to its cap as searches and facets
    # walked a 100,000-book library (peak RSS 122 MB at 16 MB each, 109 MB at 8, latency unchanged:
    # pages past the cap come from the OS's file cache, a copy rather than a disk read).
    conn.execute("PRAGMA cache_size=-8000")
    if not autocheckpoint:
        conn.execute("PRAGMA wal_autocheckpoint=0")
    folding.register(conn)  # the search index triggers fold what they index


def connect_sync(path: Path, autocheckpoint: bool = True) -> sqlite3.Connection:
    """A plain connection for start-up work and command-line tools."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    configure(conn, autocheckpoint)
    return conn


def _checkpoint_connection(path: Path) -> sqlite3.Connection:
    return connect_sync(path, autocheckpoint=False)


class Database:
    """The async face of the database file, with one door for reads and one for writes.

    :meth:`write` serialises writes with a lock and ``BEGIN IMMEDIATE`` on the one writer, so
    that two writers never race for the lock inside SQLite; :meth:`read` borrows one of
    ``readers`` connections, and reads run concurrently. Each is a context yielding the
    connection the db functions take, or, given a function, one trip to the connection's
    thread: the fast path of kosync writes, organize steps, import batches and search, where a
    round trip per statement would cost more than the statements.
    """

    def __init__(self, path: Path, readers: int = 3, checkpoint_interval: float = CHECKPOINT_SECONDS) -> None:
        self.path = path
        self._reader_count = readers
        self._writer: aiosqlite.Connection | None = None
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all_readers: list[aiosqlite.Connection] = []
        self._write_lock = PriorityLock()  # requests before background work
        self._batches = WriteBatches(self._write_lock, self._writer_trip, _transaction)
        self._on_loop: sqlite3.Connection | None = None
        self.checkpointer = Checkpointer(path, _checkpoint_connection, checkpoint_interval)

    @property
    def reader_count(self) -> int:
        """Connections in the read pool (the loop's own connection aside)."""
        return self._reader_count

    async def open(self) -> None:
        self._writer = await self._connect()
        self._on_loop = connect_sync(self.path, autocheckpoint=False)
        self._on_loop.execute(f"PRAGMA busy_timeout={ON_LOOP_BUSY_TIMEOUT_MS}")
        for _ in range(self._reader_count):
            conn = await self._connect()
            self._all_readers.append(conn)
            self._readers.put_nowait(conn)
        self.checkpointer.start()

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        await in_thread(conn, lambda raw: configure(raw, autocheckpoint=False))
        return conn

    async def close(self) -> None:
        await self._batches.close()
        await asyncio.to_thread(self.checkpointer.stop)
        if self._on_loop is not None:
            self._on_loop.close()
            self._on_loop = None
        for conn in self._all_readers:
            await conn.close()
        self._all_readers.clear()
        if self._writer is not None:
            await self._writer.close()
            self._writer = None

    # -- the one door: read() and write(), each as a context or as one trip ----------------

    @overload
    def write(self, *, durable: bool = False) -> AbstractAsyncContextManager[aiosqlite.Connection]: ...

    @overload
    def write(self, work: Callable[[sqlite3.Connection], T], *, durable: bool = False,
              on_loop: bool = False) -> Coroutine[Any, Any, T]: ...  # fmt: skip

    def write(
        self, work: Callable[[sqlite3.Connection], T] | None = None, *, durable: bool = False, on_loop: bool = False
    ) -> AbstractAsyncContextManager[aiosqlite.Connection] | Coroutine[Any, Any, T]:
        """A write transaction: ``async with db.write() as conn`` for the db functions, or
        ``await db.write(work)`` to run ``work`` on the writer's plain connection in one transaction
        and one trip to its thread (hot paths: every statement through the context is a round
        trip, which costs more than the statement itself; :func:`inline` adapts the async db
        functions). ``durable`` commits with synchronous=FULL (power-cut safe). ``on_loop``: a
        short write, done at once on the loop's own connection when SQLite's lock is free
        (:meth:`try_write_now`), else queued as any other. The loop stands still while it runs:
        for a few index updates, not for many (kosync writes a batch of 16 pushes at most so)."""
        if work is None:
            return self._write_context(durable)
        if on_loop and not durable:
            return self._write_on_loop(work)
        return self._write_work(work, durable)

    async def _write_on_loop(self, work: Callable[[sqlite3.Connection], T]) -> T:
        written, result = self.try_write_now(work)
        if written:
            return result  # type: ignore[return-value]  # (True, T) by try_write_now's contract
        return await self._write_work(work, False)

    @overload
    def read(self) -> AbstractAsyncContextManager[aiosqlite.Connection]: ...

    @overload
    def read(self, work: Callable[[sqlite3.Connection], T], *, on_loop: bool = False) -> Coroutine[Any, Any, T]: ...

    def read(
        self, work: Callable[[sqlite3.Connection], T] | None = None, *, on_loop: bool = False
    ) -> AbstractAsyncContextManager[aiosqlite.Connection] | Coroutine[Any, Any, T]:
        """A pooled reader: ``async with db.read() as conn`` (statements see a consistent snapshot
        per statement), or ``await db.read(work)`` in one trip to the reader's thread.

        ``on_loop`` runs a point read (a few index lookups) on the event loop's own connection,
        no thread hop: for the hottest reads only (a KOReader pull), where handing a 30
        microsecond query to a pool thread and back costs several times the query."""
        if work is None:
            return self._read_context()
        if on_loop:
            return self._read_on_loop(work)
        return self._read_work(work)

    @asynccontextmanager
    async def _write_context(self, durable: bool) -> AsyncIterator[aiosqlite.Connection]:
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

    def try_write_now(self, work: Callable[[sqlite3.Connection], T]) -> tuple[bool, T | None]:
        """Run a short write (a few index updates) at once on the loop's own connection when no
        transaction holds SQLite's write lock: ``(True, result)``. ``(False, None)`` when one does
        (the writer's thread is inside a transaction, another process writes): nothing was
        written; queue it with :meth:`write` instead.

        For the hottest writes only (a KOReader push): a trip to the writer's thread and back
        costs a turn of the event loop at each end, tens of milliseconds under a crowd, for
        statements that take a fraction of one. SQLite's own lock is what is asked, with no
        wait: the writer's lock here is also held while a finished trip waits for the loop to
        notice, when the database is free. Never durable (synchronous=NORMAL, as kosync is).
        """
        conn = self._on_loop
        if conn is None or conn.in_transaction:
            return False, None
        conn.execute("PRAGMA busy_timeout=0")  # never wait on the loop: a busy writer means queue it
        try:
            return True, _transaction(conn, work, False)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise
            return False, None
        finally:
            conn.execute(f"PRAGMA busy_timeout={ON_LOOP_BUSY_TIMEOUT_MS}")

    async def _write_work(self, work: Callable[[sqlite3.Connection], T], durable: bool) -> T:
        assert self._writer is not None, "database is not open"
        return await self._batches.submit(work, durable)

    async def _writer_trip(self, run: Callable[[sqlite3.Connection], T]) -> T:
        assert self._writer is not None, "database is not open"
        return await in_thread(self._writer, run)

    async def _read_on_loop(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """WAL readers do not wait for the writer; should the file be locked anyway (recovery, a
        restore), the read gives up within ON_LOOP_BUSY_TIMEOUT_MS and runs on the pool instead,
        so the loop is never held long."""
        conn = self._on_loop
        if conn is None or conn.in_transaction:
            return await self._read_work(work)
        try:
            return work(conn)
        except sqlite3.OperationalError as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if exc.sqlite_errorcode & 0xFF not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):  # extended codes too
                raise
        return await self._read_work(work)

    @asynccontextmanager
    async def _read_context(self) -> AsyncIterator[aiosqlite.Connection]:
        conn = await self._readers.get()
        try:
            yield conn
        finally:
            self._readers.put_nowait(conn)

    async def _read_work(self, work: Callable[[sqlite3.Connection], T]) -> T:
        async with self._read_context() as conn:
            return await in_thread(conn, work)

    # Conveniences for tests and tools; services go through read() and write().

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        async with self.read() as conn:
            return await fetchall(conn, sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        async with self.read() as conn:
            return await fetchone(conn, sql, params)

    async def ping(self) -> bool:
        try:
            row = await self.fetchone("SELECT 1")
        except (sqlite3.Error, ValueError):
            return False
        return row is not None


def _transaction(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], T], durable: bool) -> T:
    if durable:
        conn.execute("PRAGMA synchronous=FULL")
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = work(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return result
    finally:
        if durable:
            conn.execute("PRAGMA synchronous=NORMAL")


def inline(work: inline_conn.Work[T]) -> Callable[[sqlite3.Connection], T]:
    """An async db function (written against aiosqlite) as a plain one for ``db.read(work)`` and
    ``db.write(work)``: run on the connection's own thread, every await completing at once."""
    return lambda raw: inline_conn.drive(raw, work)


async def _rollback_if_open(conn: aiosqlite.Connection) -> None:
    try:
        await conn.execute("ROLLBACK")
    except sqlite3.OperationalError:
        pass  # BEGIN itself failed: no transaction is open


async def in_thread(conn: aiosqlite.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``work`` on the plain connection inside ``conn``'s own thread: one trip, however many statements."""
    run: Callable[..., Awaitable[T]] = conn._execute  # aiosqlite's own hand-off to its thread
    return await run(work, conn._conn)


# Each helper is one trip to the connection's thread: execute, fetch and close as three
# awaits cost three hand-offs, more than most of our statements take to run.


async def fetchall(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> list[sqlite3.Row]:
    return list(await conn.execute_fetchall(sql, params))


def _first(conn: sqlite3.Connection, sql: str, params: Params) -> sqlite3.Row | None:
    cursor = conn.execute(sql, params)
    try:
        row: sqlite3.Row | None = cursor.fetchone()
        return row
    finally:
        cursor.close()


async def fetchone(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> sqlite3.Row | None:
    return await in_thread(conn, lambda raw: _first(raw, sql, params))
