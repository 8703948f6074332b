"""Hardcover sync: links books, pushes reading status and progress, one run at a time, logged.

A run is: check the token (``me``), then for each organized book with progress or a
manual status, link it if needed and push what changed since the last acknowledged
push. Each book's result is committed before the next, so a run stopped by a revoked
token, a rate limit or a shutdown resumes where it stopped and never sends a state twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import tzinfo
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from bookshelf import clock
from bookshelf.db import Database
from bookshelf.db import hardcover as rows
from bookshelf.db import jobs as job_rows
from bookshelf.db.hardcover import Link, Pending, SyncState
from bookshelf.db.jobs import Job
from bookshelf.errors import Conflict, UpstreamError
from bookshelf.providers.hardcover_client import HardcoverClient, clean_token
from bookshelf.providers.hardcover_models import HardcoverUser
from bookshelf.providers.ratelimit import Clock, RateLimiter, Sleep
from bookshelf.providers.transport import RetryPolicy, make_client
from bookshelf.services.access.credentials import CredentialService
from bookshelf.services.hardcover.link import UserLinks, find_link, fingerprint
from bookshelf.services.hardcover.push import push, target_for
from bookshelf.services.preferences import PreferenceService
from bookshelf.settings import Settings

log = logging.getLogger("bookshelf.hardcover")

TASK = "hardcover_sync"
STATUS_TTL = 60.0  # seconds a token check is reused by GET /api/hardcover/status
MAX_PAUSES = 3  # rate-limit pauses one run sits through before it stops and waits for the next
DAY = 86_400
# Errors that end a run (every later call would fail the same way); others fail one book.
STOPPING = {"invalid_token", "missing_scope", "rate_limited", "unavailable", "not_configured"}
T = TypeVar("T")


def sync_limiter(token: str | None, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep) -> RateLimiter:
    """Hardcover allows 60 a minute with a burst; refilling at 60 minus the burst keeps any
    60-second window, burst included, at 60 requests or fewer."""
    burst = 5 if (clean_token(token) or "").startswith("eyJ") else 10
    return RateLimiter(per_minute=60 - burst, burst=burst, max_wait=120.0, name="Hardcover", clock=clock, sleep=sleep)


def error_code(exc: UpstreamError) -> str:
    """Tell a bad token from a token missing a scope from Hardcover being down or busy."""
    return {
        "unauthorized": "invalid_token",
        "missing_scope": "missing_scope",
        "rate_limited": "rate_limited",
        "quota": "rate_limited",
        "unavailable": "unavailable",
        "server_error": "unavailable",
        "timeout": "unavailable",
        "bad_response": "unavailable",
        "not_configured": "not_configured",
    }.get(exc.reason, "error")


@dataclass
class RunResult:
    linked: int = 0
    needs_confirmation: int = 0
    pushed: int = 0
    unchanged: int = 0
    failed: int = 0

    def summary(self) -> str:
        return ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in asdict(self).items())


class SyncStopped(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class HardcoverSyncService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        credentials: CredentialService,
        preferences: PreferenceService,
        *,
        client: httpx.AsyncClient | None = None,
        now: Callable[[], int] = clock.unix,
    ) -> None:
        self.db = db
        self.settings = settings
        self.credentials = credentials
        self.preferences = preferences
        self.now = now
        self._own_client = client is None
        self.http = client or make_client(15.0)
        # Replaceable by tests (a limiter on a fake clock runs an hour of sync in no time).
        self.make_limiter: Callable[[str | None], RateLimiter] = sync_limiter
        self.policy = RetryPolicy(attempts=3, backoff=2.0)
        self.monotonic: Clock = time.monotonic  # when runs are due
        # Per account: each syncs with its own token, its own request budget and its own runs.
        self._limiter: dict[str, RateLimiter] = {}
        self._start_lock = asyncio.Lock()
        self._task: dict[str, asyncio.Task[RunResult | None]] = {}
        self._reruns: set[asyncio.Task[None]] = set()
        self._job_id: dict[str, str] = {}
        self._last_start: dict[str, float] = {}
        self._checked: dict[str, tuple[float, dict[str, Any]]] = {}
        self.links = UserLinks(db)
        credentials.listeners.append(self._credential_changed)

    # -- lifecycle ---------------------------------------------------------------------------
    async def recover(self) -> None:
        """A run cut short by a restart is recorded as failed (the next run resumes its work)."""
        async with self.db.write() as conn:
            for job in await job_rows.unfinished(conn):
                if job.task == TASK:
                    now = clock.now_iso()
                    await job_rows.update(
                        conn, job.id, state="failed", error="interrupted by a restart", failed_at=now, updated_at=now
                    )

    async def close(self) -> None:
        for rerun in list(self._reruns):
            rerun.cancel()
        for task in list(self._task.values()):
            if task.done():
                continue
            task.cancel()
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        if self._own_client:
            await self.http.aclose()

    def _credential_changed(self, service: str) -> None:
        if service == "hardcover":
            self._checked.clear()

    def limiter(self, token: str | None, user_id: str = "") -> RateLimiter:
        # One bucket per account across runs: a fresh one starts full and could overshoot the minute's
        # budget. Replaced only when a new token changes the burst (legacy tokens get half).
        fresh = self.make_limiter(token)
        current = self._limiter.get(user_id)
        if current is None or current.burst != fresh.burst:
            self._limiter[user_id] = current = fresh
        return current

    def _api(self, token: str | None, user_id: str, policy: RetryPolicy | None = None) -> HardcoverClient:
        return HardcoverClient(
            self.http, self.settings.hardcover_url, token, limiter=self.limiter(token, user_id),
            policy=policy or self.policy,
        )  # fmt: skip

    async def _token(self, user_id: str) -> str | None:
        return clean_token(await self.credentials.secret("hardcover", user_id))

    # -- starting runs -----------------------------------------------------------------------
    def running(self, user_id: str) -> bool:
        task = self._task.get(user_id)
        return task is not None and not task.done()

    async def start(self, user_id: str) -> str:
        """Start the account's run and return its job id; while one runs, its id (never two at once)."""
        if not await self._token(user_id):
            raise Conflict("Hardcover is not configured: set a token with PUT /api/credentials/hardcover")
        async with self._start_lock:
            if self.running(user_id) and user_id in self._job_id:
                return self._job_id[user_id]
            job = Job.new("hardcover", TASK, state="active", args={"userId": user_id})
            async with self.db.write() as conn:
                await job_rows.insert(conn, job)
            self._launch(user_id, job.id)
        return job.id

    def _launch(self, user_id: str, job_id: str) -> None:
        self._job_id[user_id] = job_id
        self._last_start[user_id] = self.monotonic()
        self._task[user_id] = asyncio.get_running_loop().create_task(
            self._run_job(user_id, job_id), name="hardcover sync"
        )

    async def rerun(self, job_id: str) -> None:
        """POST /api/jobs/{id}/retry of a failed run: the same job runs again, after any run in progress."""
        task = asyncio.get_running_loop().create_task(self._rerun(job_id), name="hardcover sync retry")
        self._reruns.add(task)
        task.add_done_callback(self._reruns.discard)

    async def _rerun(self, job_id: str) -> None:
        async with self.db.read() as conn:
            job = await job_rows.get(conn, job_id)
        # A run recorded before accounts existed was the first admin's.
        user_id = (job.args or {}).get("userId") if job is not None else None
        user_id = user_id or await self.credentials.accounts.first_admin_id()
        while True:
            async with self._start_lock:
                current = self._task.get(user_id)
                if not self.running(user_id):
                    now = clock.now_iso()
                    async with self.db.write() as conn:
                        await job_rows.update(conn, job_id, state="active", started_at=now, updated_at=now)
                    self._launch(user_id, job_id)
                    return
            assert current is not None
            await asyncio.wait([current])  # never two runs at once

    async def wait(self, user_id: str) -> RunResult | None:
        """Wait for the account's current run (if any) to end; its result, or None if it stopped."""
        task = self._task.get(user_id)
        return await asyncio.shield(task) if task is not None else None

    async def sync_now(self, user_id: str) -> RunResult | None:
        await self.start(user_id)
        return await self.wait(user_id)

    async def tick(self) -> None:
        """Called every half minute: starts each account's run when hardcoverSync is enabled and one
        is due. The preference is read each time, so a new interval applies without a restart."""
        schedule = self.preferences.get("hardcoverSync")
        if not schedule.get("enabled"):
            return
        for user_id in await self.credentials.accounts_with("hardcover"):
            if self.running(user_id):
                continue
            last = self._last_start.get(user_id)
            due = last is None or self.monotonic() - last >= schedule["intervalMinutes"] * 60
            if due and await self._token(user_id):
                await self.start(user_id)

    async def _run_job(self, user_id: str, job_id: str) -> RunResult | None:
        # Nobody awaits a run started over HTTP, so it ends in its job row, never with an exception.
        result: RunResult | None = None
        state, error = "failed", "interrupted"
        try:
            result = await self._run(user_id)
            state, error = "completed", ""
        except SyncStopped as exc:
            error = f"{exc.code}: {exc.message}"
        except Exception as exc:
            log.exception("hardcover sync failed")
            error = f"internal: {type(exc).__name__}"
        finally:  # also on cancellation at shutdown, which then carries on
            now = clock.now_iso()
            async with self.db.write() as conn:
                await job_rows.update(
                    conn,
                    job_id,
                    state=state,
                    error=error or None,
                    updated_at=now,
                    finished_at=now,
                    failed_at=now if state == "failed" else None,
                )
        return result

    # -- a run -----------------------------------------------------------------------------
    async def _run(self, user_id: str) -> RunResult:
        token = await self._token(user_id)
        if token is None:
            raise await self._stop(user_id, "not_configured", "Hardcover is not configured")
        api = self._api(token, user_id)
        try:
            me = await api.me()
        except UpstreamError as exc:
            raise await self._stop(user_id, error_code(exc), exc.message) from None
        self._checked[user_id] = (time.monotonic(), _connected(me))
        async with self.db.read() as conn:
            books = await rows.pending(conn, user_id, self.now() - int(self.preferences.get("pausedAfterDays")) * DAY)
        result = RunResult()
        zone, now = self._zone(), self.now()
        for book in books:
            await self._book_with_pauses(user_id, api, book, zone, now, me, result)
        async with self.db.write() as conn:
            await rows.set_value(conn, rows.account_key(rows.LAST_SYNC_KEY, user_id), clock.now_iso())
            await rows.set_value(conn, rows.account_key(rows.LAST_ERROR_KEY, user_id), None)
            await rows.log(conn, user_id, None, None, "sync", "ok", result.summary(), clock.now_iso())
        log.info("hardcover sync: %s", result.summary())
        return result

    async def _book_with_pauses(
        self, user_id: str, api: HardcoverClient, book: Pending, zone: tzinfo, now: int, me: HardcoverUser,
        result: RunResult,
    ) -> None:  # fmt: skip
        pauses = 0
        while True:
            try:
                await self._book(user_id, api, book, zone, now, me, result)
                return
            except UpstreamError as exc:
                code = error_code(exc)
                if code == "rate_limited" and exc.transient and pauses < MAX_PAUSES:
                    pauses += 1  # Hardcover asked us to wait: pause the run, then carry on with this book
                    assert api.limiter is not None
                    await api.limiter.sleep(exc.retry_after if exc.retry_after is not None else 60.0)
                    continue
                if code in STOPPING:
                    raise await self._stop(user_id, code, exc.message) from None
                result.failed += 1
                return

    async def _book(
        self, user_id: str, api: HardcoverClient, book: Pending, zone: tzinfo, now: int, me: HardcoverUser,
        result: RunResult,
    ) -> None:  # fmt: skip
        target = target_for(book, zone, now)
        if target is None:
            return
        link = book.link
        if link is None or (not link.linked and not link.user_set and link.fingerprint != fingerprint(book)):
            # Kept on the book, so a retry after a rate-limit pause does not look it up again.
            link = book.link = await self._logged(user_id, book, None, "link", self._link(user_id, api, book, result))
        if not link.linked:
            return
        if link.pages is None:
            await self._logged(user_id, book, link.hardcover_book_id, "push", self._find_pages(user_id, api, link))
        sent = target.sent(link)
        if book.sync.sent_state == sent:
            result.unchanged += 1
            return
        pushed = await self._logged(
            user_id, book, link.hardcover_book_id, "push", push(api, link, target, me.privacy_setting_id)
        )
        at = clock.now_iso()
        state = SyncState(book.book_id, pushed.user_book_id, pushed.read_id, sent, at)
        async with self.db.write() as conn:
            await rows.save_sync_state(conn, user_id, state)
            await rows.log(conn, user_id, book.book_id, link.hardcover_book_id, "push", "ok", pushed.message, at)
        book.sync.sent_state = sent
        result.pushed += 1

    async def _logged(
        self, user_id: str, book: Pending, hardcover_id: int | None, action: str, work: Awaitable[T]
    ) -> T:
        try:
            return await work
        except UpstreamError as exc:
            if not (error_code(exc) == "rate_limited" and exc.transient):
                at = clock.now_iso()
                async with self.db.write() as conn:
                    await rows.log(conn, user_id, book.book_id, hardcover_id, action, "error", exc.message, at)
            raise

    async def _link(self, user_id: str, api: HardcoverClient, book: Pending, result: RunResult) -> Link:
        outcome = await find_link(api, book)
        at = clock.now_iso()
        async with self.db.write() as conn:
            if not await rows.save_link(conn, user_id, outcome.link, at):  # the user linked it meanwhile: theirs wins
                return await rows.get_link(conn, user_id, book.book_id) or outcome.link
            await rows.log(
                conn, user_id, book.book_id, outcome.link.hardcover_book_id, "link", outcome.status,
                outcome.message, at,
            )  # fmt: skip
        result.linked += outcome.status == "linked"
        result.needs_confirmation += outcome.status == "needs_confirmation"
        return outcome.link

    async def _find_pages(self, user_id: str, api: HardcoverClient, link: Link) -> None:
        """The page count progress is measured in: the linked edition's, else the book's.
        0 records "looked up, unknown" so the lookup is not repeated every run."""
        assert link.hardcover_book_id is not None
        details = await api.book_details(link.hardcover_book_id)
        pages, edition_id = 0, link.edition_id
        if details is not None:
            edition = next((e for e in details.editions if e.id == link.edition_id), None)
            pages = (edition.pages if edition else None) or details.pages or 0
            if edition_id is None and details.editions:
                edition_id = next((e.id for e in details.editions if e.pages == pages), None)
        async with self.db.write() as conn:
            await rows.set_pages(conn, user_id, link.book_id, pages, edition_id)
        link.pages, link.edition_id = pages, edition_id

    async def _stop(self, user_id: str, code: str, message: str) -> SyncStopped:
        """Record why a run stopped (shown by the status endpoint) and build the exception."""
        self._checked.pop(user_id, None)
        at = clock.now_iso()
        error = {"code": code, "message": message, "at": at}
        async with self.db.write() as conn:
            await rows.set_value(conn, rows.account_key(rows.LAST_ERROR_KEY, user_id), error)
            await rows.log(conn, user_id, None, None, "sync", "error", f"{code}: {message}", at)
        log.warning("hardcover sync stopped: %s (%s)", message, code)
        return SyncStopped(code, message)

    def _zone(self) -> tzinfo:
        try:
            return ZoneInfo(self.preferences.get("timezone") or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    # -- status and log ------------------------------------------------------------------------
    async def status(self, user_id: str) -> dict[str, Any]:
        token = await self._token(user_id)
        async with self.db.read() as conn:
            last_sync = await rows.get_value(conn, rows.account_key(rows.LAST_SYNC_KEY, user_id))
            last_error = await rows.get_value(conn, rows.account_key(rows.LAST_ERROR_KEY, user_id))
        body: dict[str, Any] = {
            "configured": token is not None,
            "connected": False,
            "username": None,
            "lastSyncAt": last_sync,
            "error": None,
            "running": self.running(user_id),
        }
        if token is None:
            return body
        body.update(await self._check(user_id, token))
        if body["error"] is None and last_error:
            body["error"] = {"code": last_error["code"], "message": last_error["message"], "at": last_error["at"]}
        return body

    async def _check(self, user_id: str, token: str) -> dict[str, Any]:
        cached = self._checked.get(user_id)
        if cached is not None and time.monotonic() - cached[0] < STATUS_TTL:
            return cached[1]
        if self.running(user_id) and cached is not None:
            return cached[1]  # a run is using the request budget and has just checked the token itself
        try:
            me = await self._api(token, user_id, RetryPolicy(attempts=1)).me()
            checked = _connected(me)
        except UpstreamError as exc:
            checked = {
                "connected": False,
                "username": None,
                "error": {"code": error_code(exc), "message": exc.message, "at": clock.now_iso()},
            }
        self._checked[user_id] = (time.monotonic(), checked)
        return checked

    async def log_entries(self, user_id: str, limit: int) -> list[dict[str, Any]]:
        async with self.db.read() as conn:
            return await rows.recent_log(conn, user_id, limit)


def _connected(me: HardcoverUser) -> dict[str, Any]:
    return {"connected": True, "username": me.username, "error": None}
