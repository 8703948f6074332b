"""Jobs: every queued task recorded in the jobs table, fed by the queue's signals, retryable.

A job row is written in the same transaction as the change that needs it (a new book and its
parse job), and handed to the queue only after that commit. The table, not Huey's file, is
the durable record: at start, waiting or active jobs missing from Huey are queued again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import aiosqlite
from huey import signals as S

from bookshelf import clock
from bookshelf.db import Database
from bookshelf.db import jobs as rows
from bookshelf.db.jobs import Job
from bookshelf.db.priority import mark_background
from bookshelf.errors import Conflict, NotFound
from bookshelf.taskqueue import TaskQueue, error_text, is_transient

log = logging.getLogger("bookshelf.jobs")
# What /api/jobs/status reports; maintenance holds library imports, send the books mailed to devices.
QUEUES = ("parse", "metadata", "organize", "hardcover", "maintenance", "send")

Hook = Callable[[aiosqlite.Connection, Job], Awaitable[None]]


class JobOwner(Protocol):
    """Runs the jobs of some task outside the queue (the lookup scheduler) and reports back."""

    async def submit(self, job: Job) -> None: ...

    def forget(self, job_ids: list[str]) -> None: ...

    def hurry(self, job_id: str, bypass_cache: bool) -> None: ...


class JobService:
    """Creates, tracks and retries jobs. ``inline`` runs them in this process (the CLI) instead."""

    def __init__(self, db: Database, queue: TaskQueue) -> None:
        self.db = db
        self.queue = queue
        self.loop: asyncio.AbstractEventLoop | None = None
        self._changes: list[Change] = []
        self._wake = asyncio.Event()
        self._recorder: asyncio.Task[None] | None = None
        self._stopping = False
        self.inline = False
        self._pending: list[Job] = []
        # Per queue: what a final failure or a retry means for the job's book (ingest marks it failed).
        self.on_failed: dict[str, Hook] = {}
        self.on_retry: dict[str, Hook] = {}
        # Tasks that run outside Huey (the Hardcover sync owns its own run loop): a retry hands
        # the job back to its owner instead of to the queue.
        self.runners: dict[str, Callable[[Job], Awaitable[None]]] = {}
        # Tasks whose jobs an owner runs on the loop instead of the queue's threads (lookups wait
        # on the network and on rate limits, and must never hold a thread a parse needs).
        self.owners: dict[str, JobOwner] = {}
        # Tasks left waiting in the table for the server to run (the CLI parses; the server looks up).
        self.deferred: set[str] = set()
        queue.on_signal(self._signal)

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """The loop whose writer records the queue's signals."""
        self.loop = loop

    # -- creating --------------------------------------------------------------

    async def prepare(self, conn: aiosqlite.Connection, task: str, book_id: str | None = None, fresh: bool = False,
                      **args: Any) -> tuple[Job, bool]:  # fmt: skip
        """Record a job inside the caller's transaction; (job, is_new). An open job of the same
        task for the same book is returned instead of a second one, so work is never doubled
        (``fresh``: the book was created in this transaction, so it has no jobs to look for)."""
        existing = None if fresh else await rows.open_for(conn, task, book_id)
        if existing is not None:
            return existing, False
        job = Job.new(self.queue.specs[task].queue, task, book_id, args)
        await rows.insert(conn, job)
        return job, True

    async def submit(self, job: Job) -> None:
        """Hand a committed job to its owner, the queue, or the inline list."""
        if job.task in self.deferred:
            return
        owner = self.owners.get(job.task)
        if owner is not None and not self.inline:
            await owner.submit(job)
            return
        if self.inline:
            self._pending.append(job)
            return
        await asyncio.to_thread(self.queue.submit, job.task, job.id, self._kwargs(job))

    async def enqueue(self, task: str, book_id: str | None = None, **args: Any) -> Job:
        async with self.db.write() as conn:
            job, new = await self.prepare(conn, task, book_id, **args)
        if new:
            await self.submit(job)
        else:
            self.hurry(job, bool(args.get("bypass_cache")))
        return job

    def hurry(self, job: Job, bypass_cache: bool = False) -> None:
        """The reader asked again for a job that is still open: its owner asks now, not after a back-off."""
        owner = self.owners.get(job.task)
        if owner is not None and not self.inline:
            owner.hurry(job.id, bypass_cache)

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
        runner = self.runners.get(job.task)
        if runner is not None:
            await runner(job)
        else:
            await self.submit(job)
        return job

    async def forget_book(self, conn: aiosqlite.Connection, book_id: str) -> list[str]:
        """Delete a book's jobs inside the caller's transaction; returns queued ids to revoke after."""
        return await rows.delete_for_book(conn, book_id)

    def revoke(self, job_ids: list[str]) -> None:
        for owner in self.owners.values():
            owner.forget(job_ids)
        for job_id in job_ids:
            self.queue.revoke(job_id)

    def report(self, signal: str, job_id: str, exc: BaseException | None = None, will_retry: bool = False) -> None:
        """An owner's job started, completed, failed for good (or failed and ``will_retry``: it shows
        as delayed with the reason): recorded like a queue signal, batched with the others."""
        self._push((signal, job_id, 1 if will_retry else 0, exc))

    async def unfinished(self, task: str) -> list[Job]:
        async with self.db.read() as conn:
            return [job for job in await rows.unfinished(conn) if job.task == task]

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
            await self._record([(S.SIGNAL_EXECUTING, job.id, 0, None)])
            spec = self.queue.specs[job.task]
            try:
                await asyncio.to_thread(spec.run, **self._kwargs(job))
            except Exception as exc:
                await self._record([(S.SIGNAL_ERROR, job.id, 0, exc)])
            else:
                await self._record([(S.SIGNAL_COMPLETE, job.id, 0, None)])

    # -- state from the queue's signals ----------------------------------------
    #
    # Worker threads report each change without waiting; one recorder on the loop writes
    # whatever has accumulated in a single transaction, in order. Under load that is one
    # write for many jobs. A change lost to a crash is harmless: an unrecorded completion
    # leaves the job waiting, it is requeued on start, and tasks are safe to run twice.

    def start_recording(self) -> None:
        self._recorder = asyncio.get_running_loop().create_task(self._record_loop(), name="job recorder")

    async def stop_recording(self) -> None:
        """Write what is still pending (after the consumer stopped), then end the recorder."""
        if self._recorder is not None:
            # Never cancel it: a cancelled write could leave the shared writer mid-transaction.
            self._stopping = True
            self._wake.set()
            await self._recorder
            self._recorder = None
        await self._flush()

    def _signal(self, signal: str, job_id: str, retries_left: int, exc: BaseException | None) -> None:
        """Called in a worker thread: hand the change to the loop and go on."""
        loop = self.loop
        if signal not in _RECORDED or loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._push, (signal, job_id, retries_left, exc))
        except RuntimeError:  # the loop closed meanwhile; the job reruns on the next start
            pass

    def _push(self, change: Change) -> None:
        self._changes.append(change)
        self._wake.set()

    async def _record_loop(self) -> None:
        mark_background()
        while not self._stopping:
            await self._wake.wait()
            self._wake.clear()
            await self._flush()

    async def _flush(self) -> None:
        failures = 0
        while self._changes:
            batch, self._changes = self._changes, []
            try:
                await self._record(batch)
            except Exception:
                failures += 1
                if self._stopping and failures >= 3:  # the jobs rerun after the next start
                    log.exception("giving up recording %d job change(s) at shutdown", len(batch))
                    return
                log.exception("could not record %d job change(s); retrying", len(batch))
                self._changes[:0] = batch
                await asyncio.sleep(1)

    async def _record(self, batch: list[Change]) -> None:
        now = clock.now_iso()
        failures: list[tuple[Job, BaseException]] = []
        async with self.db.write() as conn:
            for signal, job_id, retries_left, exc in batch:
                if signal == S.SIGNAL_EXECUTING:
                    await conn.execute(
                        "UPDATE jobs SET state = 'active', attempts = attempts + 1, started_at = ?, updated_at = ? "
                        "WHERE id = ?",
                        (now, now, job_id),
                    )
                elif signal == S.SIGNAL_COMPLETE:
                    await rows.update(conn, job_id, state="completed", error=None, finished_at=now, updated_at=now)
                elif signal == S.SIGNAL_ERROR and exc is not None:
                    job = await self._errored(conn, job_id, exc, retries_left, now)
                    if job is not None:
                        failures.append((job, exc))
                else:
                    state = "waiting" if signal == S.SIGNAL_INTERRUPTED else "failed"
                    await rows.update(conn, job_id, state=state, updated_at=now)
        for job, exc in failures:
            kind = "transient error, retries exhausted" if is_transient(exc) else "failed"
            log.warning("job %s (%s) %s: %s", job.id, job.task, kind, job.error)

    async def _errored(self, conn: aiosqlite.Connection, job_id: str, exc: BaseException, retries_left: int,
                       now: str) -> Job | None:  # fmt: skip
        """Record an error; returns the job when it failed for good (after its queue's hook ran)."""
        text = error_text(exc)
        job = await rows.get(conn, job_id)
        if job is None:  # its book was deleted meanwhile
            return None
        if retries_left > 0:
            await rows.update(conn, job_id, state="delayed", error=text, updated_at=now)
            log.info("job %s (%s) will retry (%d left): %s", job_id, job.task, retries_left, text)
            return None
        await rows.update(conn, job_id, state="failed", error=text, failed_at=now, finished_at=now, updated_at=now)
        job.error = text
        hook = self.on_failed.get(job.queue)
        if hook is not None:
            await hook(conn, job)
        return job


Change = tuple[str, str, int, BaseException | None]
_RECORDED = {S.SIGNAL_EXECUTING, S.SIGNAL_COMPLETE, S.SIGNAL_ERROR, S.SIGNAL_INTERRUPTED, S.SIGNAL_REVOKED,
             S.SIGNAL_CANCELED, S.SIGNAL_EXPIRED}  # fmt: skip
