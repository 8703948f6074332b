"""Jobs: every queued task recorded in the jobs table, fed by the queue's signals, retryable.

A job row is written in the same transaction as the change that needs it (a new book and its
parse job), and handed to the queue only after that commit. The table, not Huey's file, is
the durable record: at start, waiting or active jobs missing from Huey are queued again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import aiosqlite
from huey import signals as S

from bookshelf import clock
from bookshelf.db import Database
from bookshelf.db import jobs as rows
from bookshelf.db.connection import inline
from bookshelf.db.jobs import Job
from bookshelf.errors import Conflict, NotFound, error_text, is_transient
from bookshelf.priority import mark_background

log = logging.getLogger("bookshelf.jobs")
# What /api/jobs/status reports; maintenance holds library imports, send the books mailed to devices.
QUEUES = ("parse", "metadata", "organize", "hardcover", "maintenance", "send")

Hook = Callable[[aiosqlite.Connection, Job], Awaitable[None]]
Runner = Callable[[Job], Awaitable[None]]
# Called in a worker thread as (signal name, task id, retries left, exception or None).
SignalHandler = Callable[[str, str, int, BaseException | None], None]


class Queue(Protocol):
    """What the job service needs of a queue: bookshelf.taskqueue's TaskQueue (Huey and its
    consumer) or InlineQueue (jobs run here when drained: the command line, tests)."""

    def queue_for(self, task: str) -> str:
        """The queue a task belongs to; KeyError for a task nobody registered."""
        ...

    def knows(self, task: str) -> bool: ...

    def submit(self, task: str, job_id: str, kwargs: dict[str, Any]) -> None:
        """Hand one run to the queue under our job id (blocking: called in a thread)."""
        ...

    def queued_ids(self) -> set[str]: ...

    def revoke(self, job_id: str) -> None: ...

    def on_signal(self, handler: SignalHandler) -> None: ...

    def take(self) -> tuple[str, str, dict[str, Any]] | None:
        """The next run to do here (task, job id, kwargs), or None: a consumer does the queue's own."""
        ...

    def run(self, task: str, kwargs: dict[str, Any]) -> None:
        """Run one task function here (blocking: called in a thread)."""
        ...


class JobOwner(Protocol):
    """Runs the jobs of some task outside the queue (the lookup scheduler) and reports back."""

    async def submit(self, job: Job) -> None: ...

    def forget(self, job_ids: list[str]) -> None: ...

    def hurry(self, job_id: str, bypass_cache: bool) -> None: ...


class JobService:
    """Creates, tracks and retries jobs.

    ``on_failed`` and ``on_retry`` say, per queue, what a final failure or a retry means for the
    job's book (ingest marks it failed). ``runners`` are the tasks that run outside the queue
    (the Hardcover sync owns its run loop): a retry hands the job back to its owner. ``owners``
    run a task's jobs on the loop instead of the queue's threads (lookups wait on the network
    and on rate limits, and must never hold a thread a parse needs); the composition root
    fills it once an owner exists, as the owner needs this service.
    """

    def __init__(
        self,
        db: Database,
        queue: Queue,
        *,
        on_failed: Mapping[str, Hook] | None = None,
        on_retry: Mapping[str, Hook] | None = None,
        runners: Mapping[str, Runner] | None = None,
        owners: Mapping[str, JobOwner] | None = None,
    ) -> None:
        self.db = db
        self.queue = queue
        self.loop: asyncio.AbstractEventLoop | None = None
        self._changes: list[Change] = []
        self._wake = asyncio.Event()
        self._recorder: asyncio.Task[None] | None = None
        self._stopping = False
        self._on_failed = dict(on_failed or {})
        self._on_retry = dict(on_retry or {})
        self._runners = dict(runners or {})
        self._owners = owners if owners is not None else {}
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
        job = Job.new(self.queue.queue_for(task), task, book_id, args)
        await rows.insert(conn, job)
        return job, True

    async def submit(self, job: Job) -> None:
        """Hand a committed job to its owner or to the queue."""
        owner = self._owners.get(job.task)
        if owner is not None:
            await owner.submit(job)
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
        owner = self._owners.get(job.task)
        if owner is not None:
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
            hook = self._on_retry.get(job.queue)
            if hook is not None:
                await hook(conn, job)
            job.state = "waiting"
        runner = self._runners.get(job.task)
        if runner is not None:
            await runner(job)
        else:
            await self.submit(job)
        return job

    async def forget_book(self, conn: aiosqlite.Connection, book_id: str) -> list[str]:
        """Delete a book's jobs inside the caller's transaction; returns queued ids to revoke after."""
        return await rows.delete_for_book(conn, book_id)

    def revoke(self, job_ids: list[str]) -> None:
        for owner in self._owners.values():
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
        again = [job for job in unfinished if job.id not in queued and self.queue.knows(job.task)]
        if again:
            now = clock.now_iso()
            async with self.db.write() as conn:
                for job in again:
                    await rows.update(conn, job.id, state="waiting", updated_at=now)
            for job in again:
                await self.submit(job)
            log.info("requeued %d unfinished job(s) from the last run", len(again))
        return len(again)

    # -- runs in this process (an InlineQueue: the CLI) ----------------------------

    async def drain(self) -> None:
        """Run every job the queue holds for this process, and what they queue, here and now
        (nothing, for a queue with its own consumer)."""
        while (run := self.queue.take()) is not None:
            task, job_id, kwargs = run
            await self._record([(S.SIGNAL_EXECUTING, job_id, 0, None)])
            try:
                await asyncio.to_thread(self.queue.run, task, kwargs)
            except Exception as exc:
                await self._record([(S.SIGNAL_ERROR, job_id, 0, exc)])
            else:
                await self._record([(S.SIGNAL_COMPLETE, job_id, 0, None)])

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

        async def record(conn: aiosqlite.Connection) -> None:
            for signal, job_id, retries_left, exc in batch:
                if signal == S.SIGNAL_EXECUTING:
                    await rows.mark_executing(conn, job_id, now)
                elif signal == S.SIGNAL_COMPLETE:
                    await rows.update(conn, job_id, state="completed", error=None, finished_at=now, updated_at=now)
                elif signal == S.SIGNAL_ERROR and exc is not None:
                    job = await self._errored(conn, job_id, exc, retries_left, now)
                    if job is not None:
                        failures.append((job, exc))
                else:
                    state = "waiting" if signal == S.SIGNAL_INTERRUPTED else "failed"
                    await rows.update(conn, job_id, state=state, updated_at=now)

        # One trip to the writer: statement by statement, a busy queue's recorder held the
        # writer's lock about 70 ms a batch under load, and requests' writes waited behind it.
        await self.db.write(inline(record))
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
        hook = self._on_failed.get(job.queue)
        if hook is not None:
            await hook(conn, job)
        return job


Change = tuple[str, str, int, BaseException | None]
_RECORDED = {S.SIGNAL_EXECUTING, S.SIGNAL_COMPLETE, S.SIGNAL_ERROR, S.SIGNAL_INTERRUPTED, S.SIGNAL_REVOKED,
             S.SIGNAL_CANCELED, S.SIGNAL_EXPIRED}  # fmt: skip
