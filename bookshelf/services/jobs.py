"""Jobs: every queued task recorded in the jobs table, fed by the queue's signals, retryable.

A job row is written in the same transaction as the change that needs it (a new book and its
parse job), and handed to the queue only after that commit. The table, not Huey's file, is
the durable record: at start, waiting or active jobs missing from Huey are queued again.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aiosqlite
from huey import signals as S

from bookshelf import clock
from bookshelf.db import Database
from bookshelf.db import jobs as rows
from bookshelf.db.jobs import Job
from bookshelf.errors import Conflict, NotFound
from bookshelf.taskqueue import TaskQueue, error_text, is_transient

log = logging.getLogger("bookshelf.jobs")
# What /api/jobs/status reports; maintenance holds library imports.
QUEUES = ("parse", "metadata", "organize", "hardcover", "maintenance")

Hook = Callable[[aiosqlite.Connection, Job], Awaitable[None]]


class JobService:
    """Creates, tracks and retries jobs. ``inline`` runs them in this process (the CLI) instead."""

    def __init__(self, db: Database, queue: TaskQueue) -> None:
        self.db = db
        self.queue = queue
        self.loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self.inline = False
        self._pending: list[Job] = []
        # Per queue: what a final failure or a retry means for the job's book (ingest marks it failed).
        self.on_failed: dict[str, Hook] = {}
        self.on_retry: dict[str, Hook] = {}
        queue.on_signal(self._signal)

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """The loop whose writer records signals (called on that loop's thread)."""
        self.loop = loop
        self._loop_thread = threading.get_ident()

    # -- creating --------------------------------------------------------------

    async def prepare(self, conn: aiosqlite.Connection, task: str, book_id: str | None = None,
                      **args: Any) -> tuple[Job, bool]:  # fmt: skip
        """Record a job inside the caller's transaction; (job, is_new). An open job of the same
        task for the same book is returned instead of a second one, so work is never doubled."""
        existing = await rows.open_for(conn, task, book_id)
        if existing is not None:
            return existing, False
        now = clock.now_iso()
        job = Job(
            id=str(uuid.uuid4()), queue=self.queue.specs[task].queue, task=task, book_id=book_id, args=args,
            state="waiting", attempts=0, error=None, progress=None, created_at=now, updated_at=now,
            started_at=None, finished_at=None, failed_at=None,
        )  # fmt: skip
        await rows.insert(conn, job)
        return job, True

    async def submit(self, job: Job) -> None:
        """Hand a committed job to the queue (or to the inline list)."""
        if self.inline:
            self._pending.append(job)
            return
        await asyncio.to_thread(self.queue.submit, job.task, job.id, self._kwargs(job))

    async def enqueue(self, task: str, book_id: str | None = None, **args: Any) -> Job:
        async with self.db.write() as conn:
            job, new = await self.prepare(conn, task, book_id, **args)
        if new:
            await self.submit(job)
        return job

    @staticmethod
    def _kwargs(job: Job) -> dict[str, Any]:
        return {**job.args, "book_id": job.book_id} if job.book_id else dict(job.args)

    # -- reading ---------------------------------------------------------------

    async def status(self) -> dict[str, dict[str, int]]:
        async with self.db.read() as conn:
            counts = await rows.counts(conn)
        return {queue: counts[queue] for queue in QUEUES}

    async def failed(self, limit: int) -> tuple[list[Job], int]:
        async with self.db.read() as conn:
            return await rows.failed(conn, limit)

    async def get(self, job_id: str) -> Job | None:
        async with self.db.read() as conn:
            return await rows.get(conn, job_id)

    # -- retry and forget ------------------------------------------------------

    async def retry(self, job_id: str) -> Job:
        async with self.db.write() as conn:
            job = await rows.get(conn, job_id)
            if job is None:
                raise NotFound("Job not found")
            if job.state != "failed":
                raise Conflict(f"Job is {job.state}, only a failed job can be retried")
            now = clock.now_iso()
            await rows.update(conn, job.id, state="waiting", error=None, failed_at=None, finished_at=None,
                              updated_at=now)  # fmt: skip
            hook = self.on_retry.get(job.queue)
            if hook is not None:
                await hook(conn, job)
            job.state = "waiting"
        await self.submit(job)
        return job

    async def forget_book(self, conn: aiosqlite.Connection, book_id: str) -> list[str]:
        """Delete a book's jobs inside the caller's transaction; returns queued ids to revoke after."""
        return await rows.delete_for_book(conn, book_id)

    def revoke(self, job_ids: list[str]) -> None:
        for job_id in job_ids:
            self.queue.revoke(job_id)

    async def recover(self) -> int:
        """Queue again the jobs that were waiting or running when the process last stopped."""
        queued = await asyncio.to_thread(self.queue.queued_ids)
        async with self.db.read() as conn:
            unfinished = await rows.unfinished(conn)
        again = [job for job in unfinished if job.id not in queued and job.task in self.queue.specs]
        if again:
            now = clock.now_iso()
            async with self.db.write() as conn:
                for job in again:
                    await rows.update(conn, job.id, state="waiting", updated_at=now)
            for job in again:
                await self.submit(job)
            log.info("requeued %d unfinished job(s) from the last run", len(again))
        return len(again)

    # -- inline runs (CLI) -----------------------------------------------------

    async def drain(self) -> None:
        """Run every job queued in inline mode, and what they queue, here and now."""
        while self._pending:
            job = self._pending.pop(0)
            await self._started(job.id)
            spec = self.queue.specs[job.task]
            try:
                await asyncio.to_thread(spec.run, **self._kwargs(job))
            except Exception as exc:
                await self._errored(job.id, exc, final=True, retries_left=0)
            else:
                await self._completed(job.id)

    # -- state from the queue's signals ----------------------------------------

    def _signal(self, signal: str, job_id: str, retries_left: int, exc: BaseException | None) -> None:
        """Called in a worker thread; records the change through the server loop's writer."""
        if signal == S.SIGNAL_EXECUTING:
            coro = self._started(job_id)
        elif signal == S.SIGNAL_COMPLETE:
            coro = self._completed(job_id)
        elif signal == S.SIGNAL_ERROR and exc is not None:
            coro = self._errored(job_id, exc, final=retries_left == 0, retries_left=retries_left)
        elif signal in (S.SIGNAL_INTERRUPTED, S.SIGNAL_REVOKED, S.SIGNAL_CANCELED, S.SIGNAL_EXPIRED):
            coro = self._set(job_id, "waiting" if signal == S.SIGNAL_INTERRUPTED else "failed")
        else:
            return
        loop = self.loop
        if loop is None or loop.is_closed():
            coro.close()
            return
        future = asyncio.run_coroutine_threadsafe(coro, loop)
        if threading.get_ident() != self._loop_thread:
            try:
                future.result(timeout=30)
            except Exception:
                log.exception("could not record job %s as %s", job_id, signal)

    async def _started(self, job_id: str) -> None:
        now = clock.now_iso()
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE jobs SET state = 'active', attempts = attempts + 1, started_at = ?, updated_at = ? "
                "WHERE id = ?",
                (now, now, job_id),
            )

    async def _completed(self, job_id: str) -> None:
        now = clock.now_iso()
        async with self.db.write() as conn:
            await rows.update(conn, job_id, state="completed", error=None, finished_at=now, updated_at=now)

    async def _set(self, job_id: str, state: str) -> None:
        async with self.db.write() as conn:
            await rows.update(conn, job_id, state=state, updated_at=clock.now_iso())

    async def _errored(self, job_id: str, exc: BaseException, final: bool, retries_left: int) -> None:
        now = clock.now_iso()
        text = error_text(exc)
        async with self.db.write() as conn:
            job = await rows.get(conn, job_id)
            if job is None:  # its book was deleted meanwhile
                return
            if not final:
                await rows.update(conn, job_id, state="delayed", error=text, updated_at=now)
                log.info("job %s (%s) will retry (%d left): %s", job_id, job.task, retries_left, text)
                return
            await rows.update(conn, job_id, state="failed", error=text, failed_at=now, finished_at=now,
                              updated_at=now)  # fmt: skip
            job.error = text
            hook = self.on_failed.get(job.queue)
            if hook is not None:
                await hook(conn, job)
        kind = "transient error, retries exhausted" if is_transient(exc) else "failed"
        log.warning("job %s (%s) %s: %s", job_id, job.task, kind, text)
