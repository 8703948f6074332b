"""Composition root: opens the database, services, queue and watcher; closes them in reverse."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Iterable
from contextlib import AsyncExitStack
from typing import Any

from bookshelf.db import Database
from bookshelf.db.migrate import migrate
from bookshelf.parse_process import ParseProcess
from bookshelf.services.access.credentials import CredentialService
from bookshelf.services.access.keys import KeyService
from bookshelf.services.access.secrets_box import SealBox, SecretKeyError, load_or_create_key
from bookshelf.services.access.sessions import SessionService
from bookshelf.services.accounts import AccountService
from bookshelf.services.accounts.limiter import FailureLimiter
from bookshelf.services.hardcover.sync import TASK as HARDCOVER_TASK
from bookshelf.services.hardcover.sync import HardcoverSyncService
from bookshelf.services.importing.service import ImportService
from bookshelf.services.ingest.book_files import BookFileService
from bookshelf.services.ingest.inbox import InboxService
from bookshelf.services.ingest.pipeline import IngestService, ReadResult, job_failed, job_retried, read_and_store
from bookshelf.services.jobs import JobOwner, JobService
from bookshelf.services.library.catalog import CatalogService
from bookshelf.services.library.page_stream import PageService
from bookshelf.services.library.service import LibraryService
from bookshelf.services.lookups import Breaker, LookupScheduler
from bookshelf.services.mail.devices import DeviceService
from bookshelf.services.mail.send import SendService
from bookshelf.services.mail.server import MailServerSettings
from bookshelf.services.metadata.bulk import BulkService
from bookshelf.services.metadata.candidate_covers import CandidateCovers
from bookshelf.services.metadata.library_jobs import LibraryJobs
from bookshelf.services.metadata.review import ReviewService
from bookshelf.services.metadata.service import MetadataService, ProviderClients
from bookshelf.services.operations import backup
from bookshelf.services.operations.health import HealthService
from bookshelf.services.organize.recovery import recover
from bookshelf.services.organize.service import OrganizeService
from bookshelf.services.preferences import PreferenceService
from bookshelf.services.reader import ReaderService
from bookshelf.services.reading.service import ReadingService
from bookshelf.services.reading.stats import StatsService
from bookshelf.services.search.service import SearchService
from bookshelf.services.trash.removal import RemovalService
from bookshelf.services.trash.service import TrashService
from bookshelf.settings import Settings
from bookshelf.taskqueue import InlineQueue, TaskQueue
from bookshelf.tasks import task_specs
from bookshelf.watcher import InboxWatcher

log = logging.getLogger("bookshelf")


class DataDirError(RuntimeError):
    """The data folder cannot be created or written: a one-line message for the user."""


def prepare_folders(settings: Settings) -> None:
    """Create every folder bookshelf needs and prove the data folder is writable."""
    for folder in settings.managed_dirs():
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DataDirError(f"cannot create folder {folder}: {exc.strerror or exc}") from None
        if not folder.is_dir():
            raise DataDirError(f"{folder} exists but is not a folder")
    probe = settings.data_dir / f".write-test-{os.getpid()}"
    try:
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        raise DataDirError(f"data folder {settings.data_dir} is not writable: {exc.strerror or exc}") from None


class Runtime:
    """Everything a running bookshelf owns. Edges (HTTP, CLI, tasks) reach services through it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.started = time.monotonic()
        self.db = Database(settings.db_path)
        self.health = HealthService(self.db, settings, self.component_status, self.started)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.auth_limiter = FailureLimiter()
        self._stack = AsyncExitStack()
        self._background: list[asyncio.Task[Any]] = []
        self._components: dict[str, Any] = {}
        self.box: SealBox
        self.accounts: AccountService
        self.keys: KeyService
        self.credentials: CredentialService
        self.preferences: PreferenceService
        self.sessions: SessionService
        self.search: SearchService
        self.reading: ReadingService
        self.stats: StatsService
        self.catalog: CatalogService
        self.pages: PageService
        self.library: LibraryService
        self.reader: ReaderService
        self.queue: TaskQueue | InlineQueue
        self.parser: ParseProcess[ReadResult]
        self.jobs: JobService
        self.ingest: IngestService
        self.inbox: InboxService
        self.removal: RemovalService
        self.metadata: MetadataService
        self.organizer: OrganizeService
        self.review: ReviewService
        self.library_jobs: LibraryJobs
        self.hardcover: HardcoverSyncService
        self.trash: TrashService
        self.bulk: BulkService
        self.book_files: BookFileService
        self.mail_server: MailServerSettings
        self.devices: DeviceService
        self.sender: SendService
        self.lookups: LookupScheduler | None = None  # while the consumer runs
        self.importer: ImportService

    @classmethod
    async def open(
        cls,
        settings: Settings,
        *,
        background: bool = True,
        inline_jobs: bool = False,
        leave_queued: Iterable[str] = (),
    ) -> Runtime:
        """``inline_jobs``: queued jobs wait for ``jobs.drain()`` and run in this process (the command
        line, tests) instead of going to the queue file for a consumer; the tasks in
        ``leave_queued`` stay waiting in the jobs table for the server instead (lookups)."""
        rt = cls(settings)
        try:
            await rt._open(background, InlineQueue(leave_queued) if inline_jobs else None)
        except BaseException:
            await rt.close()
            raise
        return rt

    async def _open(self, background: bool, inline: InlineQueue | None) -> None:
        settings = self.settings
        prepare_folders(settings)
        self.loop = asyncio.get_running_loop()
        await asyncio.to_thread(migrate, settings.db_path)
        try:
            self.box = SealBox(load_or_create_key(settings.secret_key_path, settings.secret_key))
        except (SecretKeyError, OSError) as exc:
            raise DataDirError(str(exc)) from None
        await self.db.open()
        self._stack.push_async_callback(self.db.close)
        self.accounts = AccountService(self.db)
        self.keys = KeyService(self.db, self.accounts)
        self._stack.push_async_callback(self.keys.flush_usage)
        self.credentials = CredentialService(self.db, settings, self.box, self.accounts)
        self.preferences = PreferenceService(self.db, settings)
        try:
            self.sessions = SessionService(self.db, self.keys, self.accounts, settings.data_dir / "session.key")
        except (SecretKeyError, OSError) as exc:
            raise DataDirError(str(exc)) from None
        await self.preferences.load()
        self.search = SearchService(self.db)
        self.reading = ReadingService(self.db, self.preferences, self.search)
        self.stats = StatsService(self.db, self.preferences, self.reading)
        self.catalog = CatalogService(self.db, settings, self.search)
        self.pages = PageService(settings.cache_dir)
        self._stack.push_async_callback(self.search.close)
        await self.search.ensure_index()
        self.library = LibraryService(self.db, settings, self.search)
        self.reader = ReaderService(self.library, self.reading, self.pages)
        # Before anything can organize again: finish or roll back moves a crash interrupted.
        await recover(self.db, settings)
        await self._open_pipeline(background, inline)
        self.hardcover = HardcoverSyncService(self.db, settings, self.credentials, self.preferences)
        self._stack.push_async_callback(self.hardcover.close)
        await self.hardcover.recover()
        if background:
            # Build the typo vocabulary now rather than on the first search.
            self.search.refresh_soon()
            # The OPDS root counts authors, genres and series once per catalog change: count them
            # now rather than on an e-reader's first visit (about 90 ms at 10,000 books).
            self.once(self.catalog.totals, "catalog warm-up")
            self.every(60, self.keys.flush_usage, "key usage flush")
            self.every(30, self.hardcover.tick, "hardcover sync schedule")
            self.every(1800, self._automatic_backup, "automatic backup")
            self.every(3600, self.trash.purge_expired, "trash purge")

    async def _rerun_hardcover(self, job: Any) -> None:
        await self.hardcover.rerun(job.id)

    async def _automatic_backup(self) -> None:
        await backup.scheduled(self.db, self.settings, self.preferences)

    async def _open_pipeline(self, background: bool, inline: InlineQueue | None) -> None:
        """Queue, jobs, ingest and the inbox watcher. Stopped in reverse: watcher, consumer, db."""
        settings = self.settings
        if inline is not None:
            self.queue = inline
        else:
            self.queue = TaskQueue(settings)
            self._stack.callback(self.queue.close)
        self.parser = ParseProcess(read_and_store, settings, enabled=False)  # here unless the consumer runs
        ingest_hooks = {"parse": job_failed, "metadata": job_failed}
        retry_hooks = {"parse": job_retried, "metadata": job_retried}
        runners = {HARDCOVER_TASK: self._rerun_hardcover}  # the Hardcover sync runs its own loop
        # Tasks whose jobs an owner runs on the loop instead of the queue's threads: filled here,
        # by the root, once the owner exists (the lookup scheduler needs the job service itself).
        self._job_owners: dict[str, JobOwner] = {}
        self.jobs = JobService(self.db, self.queue, on_failed=ingest_hooks, on_retry=retry_hooks, runners=runners,
                               owners=self._job_owners)  # fmt: skip
        self.jobs.attach(asyncio.get_running_loop())
        self.mail_server = MailServerSettings(self.db, settings, self.box)
        self.devices = DeviceService(self.db)
        self.sender = SendService(self.db, settings, self.preferences, self.mail_server, self.devices, self.jobs)
        self.ingest = IngestService(self.db, settings, self.jobs, asyncio.get_running_loop(), self.parser.parse,
                                    lambda: bool(self.preferences.get("metadataSources")))  # fmt: skip
        self.inbox = InboxService(self.db, settings, self.search, self.jobs)
        self.removal = RemovalService(self.db, settings, self.jobs)
        self._open_library(settings)
        self.importer = ImportService(self.db, settings, self.organizer, self.ingest, self.jobs)
        for spec in task_specs(
            asyncio.get_running_loop(), settings, self.ingest, self.library_jobs, self.sender, self.importer
        ):
            self.queue.register(spec)
        await self.trash.recover()  # before organizing: a half-restored book's files come back first
        if background and settings.start_consumer and isinstance(self.queue, TaskQueue):
            await self._start_consumer(self.queue)
        if background and settings.start_watcher:
            watcher = InboxWatcher(settings, self.ingest)
            await watcher.start()
            self._stack.push_async_callback(watcher.stop)
            self.register_component("watcher", watcher)

    async def _start_consumer(self, queue: TaskQueue) -> None:
        lookups = self._open_lookups()
        await self.jobs.recover()
        self.jobs.start_recording()
        self._stack.push_async_callback(self.jobs.stop_recording)
        self._stack.push_async_callback(lookups.stop)  # before the recorder writes its last
        self.parser.enabled = self.settings.parse_process
        self._stack.push_async_callback(asyncio.to_thread, self.parser.stop)  # after the queue's workers
        self.every(5, lambda: asyncio.to_thread(self.parser.stop_if_idle), "parse worker idle stop")
        queue.start(self.settings.workers)
        self._stack.push_async_callback(asyncio.to_thread, queue.stop)
        self.register_component("queue", queue)
        self.every(10, lambda: asyncio.to_thread(queue.check_health), "queue health")

    def _open_lookups(self) -> LookupScheduler:
        """Lookups run on the loop, per provider, apart from the queue's threads (see services.lookups)."""
        backoff = self.settings.provider_backoff
        self.lookups = LookupScheduler(self.metadata, self.review, self.preferences, self.jobs,
                                       breaker=lambda: Breaker(base=backoff))  # fmt: skip
        self._job_owners["lookup_metadata"] = self.lookups
        self.every(30, self.lookups.adopt, "lookups left by bookshelf import")
        return self.lookups

    def _open_library(self, settings: Settings) -> None:
        clients = ProviderClients(settings, settings.provider_timeout)
        self._stack.push_async_callback(clients.close)
        self.metadata = MetadataService(self.db, settings, self.preferences, self.credentials, clients)
        self.organizer = OrganizeService(self.db, settings, self.preferences)
        covers = CandidateCovers(self.db, settings, clients)
        self.review = ReviewService(self.db, settings, self.preferences, covers, self.jobs)
        self.library_jobs = LibraryJobs(self.metadata, self.organizer, self.review, self.db)
        self.trash = TrashService(self.db, settings, self.preferences, self.jobs)
        self.bulk = BulkService(self.db, self.review, self.removal)
        self.book_files = BookFileService(self.db, settings, self.jobs)

    def once(self, job: Any, name: str) -> None:
        """Run ``job`` (async, no arguments) in the background now; a failure is logged."""

        async def run() -> None:
            try:
                await job()
            except Exception:
                log.exception("background job %s failed", name)

        self._background.append(asyncio.get_running_loop().create_task(run(), name=name))

    def every(self, seconds: float, job: Any, name: str) -> None:
        """Run ``job`` (async, no arguments) every ``seconds`` until close."""

        async def loop() -> None:
            while True:
                await asyncio.sleep(seconds)
                try:
                    await job()
                except Exception:
                    log.exception("periodic job %s failed", name)

        self._background.append(asyncio.get_running_loop().create_task(loop(), name=name))

    def register_component(self, name: str, component: Any) -> None:
        """A long-running part (queue consumer, watcher) whose liveness health reports."""
        self._components[name] = component

    def component_status(self) -> dict[str, bool]:
        return {name: bool(getattr(c, "alive", lambda: True)()) for name, c in self._components.items()}

    async def close(self) -> None:
        for task in self._background:
            task.cancel()
        for task in self._background:
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        self._background.clear()
        await self._stack.aclose()
