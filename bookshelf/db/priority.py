"""The writer's lock: requests waiting to write go before background work (ingest, jobs, lookups).

Under a bulk drop the one writer is queued behind dozens of ingest transactions; a KOReader
saving its progress should wait for the transaction in hand, not for the whole queue. Work marks
itself as background with :func:`bookshelf.priority.mark_background` (the queue's tasks, the watcher, the job
recorder, the lookup lanes); everything else is foreground.
"""

from __future__ import annotations

import asyncio
from collections import deque

from bookshelf.priority import is_background


class PriorityLock:
    """A FIFO lock per class, foreground first. Released by handing it straight to the next waiter."""

    def __init__(self) -> None:
        self._locked = False
        self._waiting: tuple[deque[asyncio.Future[None]], deque[asyncio.Future[None]]] = (deque(), deque())

    def locked(self) -> bool:
        return self._locked

    def waiters(self) -> int:
        return sum(len(queue) for queue in self._waiting)

    async def acquire(self, background: bool | None = None) -> None:
        """``background`` None: as the calling task is marked (bookshelf.priority)."""
        if not self._locked and not any(self._waiting):
            self._locked = True
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._waiting[1 if (is_background() if background is None else background) else 0]
        queue.append(future)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # handed the lock just as we were cancelled: pass it on
            else:
                queue.remove(future)
            raise

    def release(self) -> None:
        for queue in self._waiting:
            while queue:
                future = queue.popleft()
                if not future.done():
                    future.set_result(None)  # still locked: ownership moves to that waiter
                    return
        self._locked = False

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *exc: object) -> None:
        self.release()
