"""The lookup scheduler: per-provider lanes that ask for books' metadata as fast as each allows."""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from huey import signals as S

from bookshelf import clock
from bookshelf.db.jobs import Job
from bookshelf.errors import NotFound, UpstreamError, error_text
from bookshelf.priority import mark_background
from bookshelf.providers import LookupQuery
from bookshelf.services.jobs import JobService
from bookshelf.services.lookups.breaker import Breaker
from bookshelf.services.metadata.review import ReviewService
from bookshelf.services.metadata.service import (
    LookupReport,
    MetadataService,
    answer_note,
    error_note,
    no_query_note,
    not_configured_note,
    query_for,
    raise_if_all_failed,
)
from bookshelf.services.preferences import PreferenceService

log = logging.getLogger("bookshelf.lookups")

WORKERS_PER_PROVIDER = 3  # requests in flight per provider; its limiter still paces them
MAX_OUTAGE_TRIES = 4  # a book whose request keeps meeting an outage gets the note after this many


@dataclass
class Pending:
    """One lookup job: the providers still to answer and the notes of those that did."""

    job: Job
    query: LookupQuery
    bypass: bool
    order: list[str]
    waiting: set[str]
    notes: dict[str, dict[str, Any]] = field(default_factory=dict)
    transient: list[bool] = field(default_factory=list)
    tries: dict[str, int] = field(default_factory=dict)
    started: bool = False
    urgent: bool = False  # a reader is waiting for this one (Retry, Fetch metadata): no retrying later

    def ordered_notes(self) -> list[dict[str, Any]]:
        """The notes so far, in the reader's order of sources."""
        return [self.notes[n] for n in self.order if n in self.notes]


@dataclass
class Lane:
    """One provider: the jobs waiting for it, its breaker, and whether it changed (wakes workers)."""

    name: str
    breaker: Breaker
    queue: deque[str] = field(default_factory=deque)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    in_flight: int = 0
    asked: int = 0  # requests started since the server started (the inbox shows it)

    def push(self, job_id: str, front: bool = False) -> None:
        if front:
            self.queue.appendleft(job_id)
        else:
            self.queue.append(job_id)
        self.changed.set()


class LookupScheduler:
    """Owns the lookup_metadata jobs while the server runs (see the package docstring)."""

    def __init__(self, metadata: MetadataService, review: ReviewService, preferences: PreferenceService,
                 jobs: JobService, *, workers: int = WORKERS_PER_PROVIDER,
                 breaker: Callable[[], Breaker] = Breaker) -> None:  # fmt: skip
        self.metadata = metadata
        self.review = review
        self.preferences = preferences
        self.jobs = jobs
        self.workers = workers
        self.make_breaker = breaker
        self.lanes: dict[str, Lane] = {}
        self.pending: dict[str, Pending] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._writing: set[asyncio.Task[Any]] = set()
        self._stopping = False

    # -- taking jobs -------------------------------------------------------------

    async def submit(self, job: Job) -> None:
        """Take a committed lookup job: answer what the cache knows now, queue the rest per provider."""
        if self._stopping or job.id in self.pending or not job.book_id:
            return
        try:
            book = await self.metadata.book(job.book_id)
        except NotFound:
            self.jobs.report(S.SIGNAL_COMPLETE, job.id, None)  # deleted meanwhile: nothing to look up
            return
        query = query_for(book)
        bypass = bool(job.args.get("bypass_cache"))
        order = [str(n) for n in self.preferences.get("metadataSources")]
        pending = Pending(job, query, bypass, order, set(), urgent=bypass)
        self.pending[job.id] = pending
        for name in order:
            if not query.clean_isbn and not query.title:
                pending.notes[name] = no_query_note(name)
            elif not (await self.metadata.secret_for(name))[0]:
                pending.notes[name] = not_configured_note(name)
            elif not bypass and (hit := await self.metadata.cached(name, query)) is not None:
                await self.metadata.store_source(book.id, query, name, hit)
                pending.notes[name] = answer_note(name, hit, "cached")
            else:
                pending.waiting.add(name)
        if not pending.waiting:
            await self._finish(pending)
            return
        for name in order:
            if name in pending.waiting:
                lane = self._lane(name)
                if pending.urgent:
                    self._ask_first(lane, job.id)
                else:
                    lane.push(job.id)

    def hurry(self, job_id: str, bypass_cache: bool) -> None:
        """A reader asked again (Retry, Fetch metadata): the providers this job still waits for are
        asked now, first in their lanes, and an outage is reported at once instead of retried."""
        pending = self.pending.get(job_id)
        if pending is None:
            return
        pending.bypass = pending.bypass or bypass_cache
        pending.urgent = True
        for name in pending.waiting:
            lane = self._lane(name)
            if job_id in lane.queue:  # not while a request for it is in flight: that one answers
                self._ask_first(lane, job_id)

    @staticmethod
    def _ask_first(lane: Lane, job_id: str) -> None:
        """A reader is waiting: the job is the lane's next, and a provider backing off is probed now."""
        lane.breaker.probe_now()
        if job_id in lane.queue:
            lane.queue.remove(job_id)
        lane.push(job_id, front=True)

    def forget(self, job_ids: list[str]) -> None:
        """The books of these jobs were deleted: stop looking them up."""
        for job_id in job_ids:
            self.pending.pop(job_id, None)

    async def adopt(self) -> int:
        """Take lookup jobs left waiting by another process (``bookshelf import`` queues them)."""
        count = 0
        for job in await self.jobs.unfinished("lookup_metadata"):
            if job.id not in self.pending:
                await self.submit(job)
                count += 1
        return count

    # -- lanes ---------------------------------------------------------------------

    def _lane(self, name: str) -> Lane:
        lane = self.lanes.get(name)
        if lane is None:
            lane = self.lanes[name] = Lane(name, self.make_breaker())
            loop = asyncio.get_running_loop()
            for i in range(self.workers):
                self._tasks.append(loop.create_task(self._work(lane), name=f"lookups {name} {i}"))
        return lane

    async def _take(self, lane: Lane) -> Pending | None:
        """The next job this lane may ask about now, waiting out the breaker; None once stopping."""
        while not self._stopping:
            while lane.queue and lane.queue[0] not in self.pending:
                lane.queue.popleft()  # forgotten
            wait = lane.breaker.wait() if lane.queue else math.inf
            if wait <= 0:
                return self.pending[lane.queue.popleft()]
            lane.changed.clear()
            # asyncio.timeout, not wait_for: on 3.11 wait_for swallows a cancel that arrives as the
            # event is set (another worker's finally sets it while stop() cancels both), and the
            # worker would then wait out the breaker (30 s and more) before the server could stop.
            try:
                async with asyncio.timeout(None if math.isinf(wait) else wait):
                    await lane.changed.wait()
            except TimeoutError:
                pass
        return None

    async def _work(self, lane: Lane) -> None:
        mark_background()
        while not self._stopping:
            pending = await self._take(lane)
            if pending is None:
                return
            lane.in_flight += 1
            lane.asked += 1
            try:
                await self._ask(lane, pending)
            except Exception as exc:  # a defect, not the provider: note it, go on with the others
                log.exception("lookup of %s via %s failed", pending.job.book_id, lane.name)
                lane.breaker.release()
                note = {"source": lane.name, "status": "error", "reason": "internal", "message": error_text(exc)}
                await self._resolve(pending, lane.name, note)
            finally:
                lane.in_flight -= 1
                lane.changed.set()

    async def _ask(self, lane: Lane, pending: Pending) -> None:
        name, job = lane.name, pending.job
        assert job.book_id is not None
        if not pending.started:
            pending.started = True
            self.jobs.report(S.SIGNAL_EXECUTING, job.id, None)
        secret = (await self.metadata.secret_for(name))[1]
        try:
            answers, how = await self.metadata.ask(name, secret, pending.query, pending.bypass)
        except UpstreamError as exc:
            if exc.transient:
                self._hold(lane, exc)
                if self._again(lane, pending):
                    self.jobs.report(S.SIGNAL_ERROR, job.id, exc, will_retry=True)  # shows as delayed
                    await self._note_meanwhile(pending, name, error_note(name, exc))
                    return
            else:
                lane.breaker.success()  # it answered, with a reason of its own
            log.warning("metadata lookup via %s failed (%s): %s", name, exc.reason, exc.message)
            pending.transient.append(exc.transient)
            await self._resolve(pending, name, error_note(name, exc))
            return
        lane.breaker.success()
        if job.id not in self.pending:
            return
        if not await self._guarded(self.metadata.store_source(job.book_id, pending.query, name, answers)):
            self.pending.pop(job.id, None)  # the book went away
            return
        await self._resolve(pending, name, answer_note(name, answers, how))

    @staticmethod
    def _hold(lane: Lane, exc: UpstreamError) -> None:
        """An outage or a "wait" from the provider: the breaker holds the whole lane."""
        breaker = lane.breaker
        if exc.retry_after:
            breaker.pause(exc.retry_after, exc.reason)
            return
        was_open = breaker.state == "open"
        breaker.failure(exc.reason)
        if not was_open:
            log.warning("%s not reachable (%s): asked again in %.1f s", lane.name, exc.reason,
                        breaker.retry_at - breaker.clock())  # fmt: skip

    @staticmethod
    def _again(lane: Lane, pending: Pending) -> bool:
        """Put the job back at the front of the lane, unless it met the outage too often (then its
        note says so and the book's other providers are not held up any longer)."""
        if pending.urgent:  # a reader's Retry wants today's answer, not a later one
            return False
        tries = pending.tries[lane.name] = pending.tries.get(lane.name, 0) + 1
        if tries >= MAX_OUTAGE_TRIES:
            return False
        lane.push(pending.job.id, front=True)
        return True

    async def _note_meanwhile(self, pending: Pending, name: str, note: dict[str, Any]) -> None:
        """The first time a provider is held back for a book, the review page learns why at once (the
        lane asks again later; the final notes replace these)."""
        if name in pending.notes or pending.job.id not in self.pending:
            return
        pending.notes[name] = note
        assert pending.job.book_id is not None
        await self._guarded(self.metadata.save_notes(pending.job.book_id, pending.ordered_notes()))

    async def _resolve(self, pending: Pending, name: str, note: dict[str, Any] | None) -> None:
        if note is not None:
            pending.notes[name] = note
        pending.waiting.discard(name)
        if not pending.waiting and pending.job.id in self.pending:
            await self._guarded(self._finish(pending))

    async def _finish(self, pending: Pending) -> None:
        """Every provider answered or gave its reason: notes saved, job recorded, maybe auto-approved."""
        job = pending.job
        self.pending.pop(job.id, None)
        assert job.book_id is not None
        report = LookupReport(job.book_id, transient=pending.transient)
        report.notes = pending.ordered_notes()
        await self.metadata.save_notes(job.book_id, report.notes)
        try:
            raise_if_all_failed(report)
        except UpstreamError as exc:
            self.jobs.report(S.SIGNAL_ERROR, job.id, exc)
            return
        try:
            await self.review.auto_approve(job.book_id)
        except NotFound:
            pass
        self.jobs.report(S.SIGNAL_COMPLETE, job.id, None)

    async def _guarded(self, step: Any) -> Any:
        """Run a database step to its end even when the server stops meanwhile (never half-written)."""
        task = asyncio.ensure_future(step)
        self._writing.add(task)
        try:
            return await asyncio.shield(task)
        finally:
            if task.done():
                self._writing.discard(task)

    # -- stopping and reporting ----------------------------------------------------

    async def stop(self) -> None:
        """Stop asking; let any database step in progress finish. Unfinished jobs run again on start."""
        self._stopping = True
        for lane in self.lanes.values():
            lane.changed.set()  # a worker that misses its cancel still sees the stop at once
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._writing:
            await asyncio.gather(*self._writing, return_exceptions=True)
        self._tasks.clear()

    def snapshot(self) -> dict[str, Any]:
        """Which books wait for which provider, and each provider's state (for the inbox)."""
        books = {
            p.job.book_id: {"waiting": sorted(p.waiting, key=p.order.index), "answered": sorted(p.notes)}
            for p in self.pending.values()
            if p.job.book_id
        }
        providers = {}
        for name, lane in self.lanes.items():
            waiting = sum(1 for p in self.pending.values() if name in p.waiting)
            breaker = lane.breaker
            retry_in = max(0.0, breaker.retry_at - breaker.clock()) if breaker.state == "open" else None
            providers[name] = {
                "state": breaker.state, "waiting": waiting, "inFlight": lane.in_flight, "asked": lane.asked,
                "lastError": breaker.last_error,
                "retryAt": clock.iso(clock.now() + timedelta(seconds=retry_in)) if retry_in is not None else None,
            }  # fmt: skip
        return {"books": books, "providers": providers}
