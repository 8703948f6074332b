"""Background jobs recorded in the jobs table, run one at a time per queue on the event loop.

A stand-in with the interface the services need (``enqueue`` returning a job
id, ``progress``): the Huey queue of the ingest branch takes its place, and
``register`` names the same tasks there.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from bookshelf import clock
from bookshelf.db import Database
from bookshelf.db import jobs as job_rows
from bookshelf.errors import BookshelfError

log = logging.getLogger("bookshelf.jobs")
Handler = Callable[..., Awaitable[Any]]


class TaskRunner:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._handlers: dict[str, Handler] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._running: set[asyncio.Task[None]] = set()

    def register(self, task: str, handler: Handler) -> None:
        """``handler(job_id=..., **args)`` runs the job; what it raises becomes the job's error."""
        self._handlers[task] = handler

    async def enqueue(
        self, queue: str, task: str, book_id: str | None = None, args: dict[str, Any] | None = None
    ) -> str:
        if task not in self._handlers:
            raise ValueError(f"unknown task {task}")
        now = clock.now_iso()
        job = job_rows.Job(
            id=str(uuid.uuid4()), queue=queue, task=task, book_id=book_id, args=dict(args or {}), state="waiting",
            attempts=0, error=None, progress=None, created_at=now, updated_at=now, started_at=None, finished_at=None,
            failed_at=None,
        )  # fmt: skip
        async with self.db.write() as conn:
            await job_rows.insert(conn, job)
        running = asyncio.get_running_loop().create_task(self._run(job), name=f"job {task} {job.id}")
        self._running.add(running)
        running.add_done_callback(self._running.discard)
        return job.id

    async def _run(self, job: job_rows.Job) -> None:
        lock = self._locks.setdefault(job.queue, asyncio.Lock())
        async with lock:
            now = clock.now_iso()
            async with self.db.write() as conn:
                await job_rows.update(conn, job.id, state="active", attempts=job.attempts + 1, started_at=now,
                                      updated_at=now)  # fmt: skip
            try:
                await self._handlers[job.task](job_id=job.id, **job.args)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                message = exc.message if isinstance(exc, BookshelfError) else f"{type(exc).__name__}: {exc}"
                if not isinstance(exc, BookshelfError):
                    log.exception("job %s (%s) failed", job.id, job.task)
                now = clock.now_iso()
                async with self.db.write() as conn:
                    await job_rows.update(conn, job.id, state="failed", error=message, failed_at=now, updated_at=now)
                return
            now = clock.now_iso()
            async with self.db.write() as conn:
                await job_rows.update(conn, job.id, state="completed", progress=1.0, finished_at=now, updated_at=now)

    async def progress(self, job_id: str, fraction: float) -> None:
        async with self.db.write() as conn:
            await job_rows.update(conn, job_id, progress=round(fraction, 4), updated_at=clock.now_iso())

    async def note(self, job_id: str, text: str) -> None:
        """A message kept on a job that still succeeded (a provider skipped, say)."""
        async with self.db.write() as conn:
            await job_rows.update(conn, job_id, error=text, updated_at=clock.now_iso())

    async def drain(self) -> None:
        """Wait until nothing is queued or running (tests and shutdown)."""
        while self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)

    async def close(self) -> None:
        for running in list(self._running):
            running.cancel()
        await asyncio.gather(*list(self._running), return_exceptions=True)
