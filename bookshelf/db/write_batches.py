"""One-trip writes sent to the writer's thread together: each its own transaction, several per trip.

A trip to the writer's thread and back costs a turn of the event loop at each end, and the
writer's lock is held for both. Under a crowd of requests a turn is several milliseconds, so
the lock was held about 9 ms for a write whose statements took 3, and KOReader syncs queued
behind downloads naming their files. The writes waiting when a trip starts now go in it:
every one still runs in its own transaction, in the order the lock would have served them
(requests before background work, each class first come first served), and gets its own
result or error. Background work still goes one transaction a trip, so a request arriving
meanwhile never waits for a batch of imports.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from bookshelf.db.priority import PriorityLock
from bookshelf.priority import is_background

T = TypeVar("T")
Work = Callable[[sqlite3.Connection], Any]
Transaction = Callable[[sqlite3.Connection, Work, bool], Any]  # runs one work in its own transaction
Outcome = tuple[bool, Any]  # (succeeded, result or exception)
Trip = Callable[[Callable[[sqlite3.Connection], list[Outcome]]], Awaitable[list[Outcome]]]
MAX_BATCH = 64  # requests in one trip; more wait for the next (each trip stays a few milliseconds)


class _Pending:
    __slots__ = ("work", "durable", "future")

    def __init__(self, work: Work, durable: bool, future: asyncio.Future[Any]) -> None:
        self.work, self.durable, self.future = work, durable, future


class WriteBatches:
    def __init__(self, lock: PriorityLock, trip: Trip, transaction: Transaction) -> None:
        self._lock = lock
        self._trip = trip
        self._transaction = transaction
        self._waiting: tuple[deque[_Pending], deque[_Pending]] = (deque(), deque())  # requests, background
        self._dispatcher: asyncio.Task[None] | None = None

    async def submit(self, work: Callable[[sqlite3.Connection], T], durable: bool) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiting[1 if is_background() else 0].append(_Pending(work, durable, future))
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._dispatch())
        # A caller cancelled while waiting cancels its future: a write not yet sent is dropped,
        # one already in the thread runs to its end (as a cancelled trip always has).
        return await future

    async def close(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            await asyncio.gather(self._dispatcher, return_exceptions=True)
        for queue in self._waiting:
            while queue:
                queue.popleft().future.cancel()

    async def _dispatch(self) -> None:
        while any(self._waiting):
            await self._lock.acquire(background=not self._waiting[0])
            batch: list[_Pending] = []
            try:
                batch = self._take()
                if batch:
                    outcomes = await self._trip(self._runner([(p.work, p.durable) for p in batch]))
                    for pending, (ok, value) in zip(batch, outcomes, strict=True):
                        _settle(pending.future, ok, value)
            except BaseException as exc:
                for pending in batch:
                    if pending.future.done():
                        continue
                    if isinstance(exc, Exception):
                        pending.future.set_exception(exc)
                    else:
                        pending.future.cancel()
                raise
            finally:
                self._lock.release()

    def _take(self) -> list[_Pending]:
        requests, background = self._waiting
        batch: list[_Pending] = []
        while requests and len(batch) < MAX_BATCH:
            pending = requests.popleft()
            if not pending.future.done():
                batch.append(pending)
        while background and not batch:
            pending = background.popleft()
            if not pending.future.done():
                batch.append(pending)
        return batch

    def _runner(self, works: list[tuple[Work, bool]]) -> Callable[[sqlite3.Connection], list[Outcome]]:
        def run(conn: sqlite3.Connection) -> list[Outcome]:
            outcomes: list[Outcome] = []
            for work, durable in works:
                try:
                    outcomes.append((True, self._transaction(conn, work, durable)))
                except Exception as exc:  # this write's own error; the others in the trip are unaffected
                    outcomes.append((False, exc))
            return outcomes

        return run


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # its caller went away; the write stands
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
