"""Composition root: opens the database, services, queue and watcher; closes them in reverse."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from bookshelf.db import Database
from bookshelf.db.migrate import migrate
from bookshelf.parse_process import ParseProcess
from bookshelf.services.accounts import AccountService
from bookshelf.services.book_files import BookFileService
from bookshelf.services.bulk import BulkService
from bookshelf.services.candidate_covers import CandidateCovers
from bookshelf.services.catalog import CatalogService
from bookshelf.services.credentials import CredentialService
from bookshelf.services.hardcover_sync import TASK as HARDCOVER_TASK
from bookshelf.services.hardcover_sync import HardcoverSyncService
from bookshelf.services.inbox import InboxService
from bookshelf.services.ingest import IngestService
from bookshelf.services.jobs import JobService
from bookshelf.services.keys import KeyService
from bookshelf.services.library import LibraryService
from bookshelf.services.library_jobs import LibraryJobs
from bookshelf.services.mail.devices import DeviceService
from bookshelf.services.mail.send import SendService
from bookshelf.services.mail.server import MailServerSettings
from bookshelf.services.metadata import MetadataService, ProviderClients
from bookshelf.services.organize import OrganizeService
from bookshelf.services.page_stream import PageService
from bookshelf.services.preferences import PreferenceService
from bookshelf.services.reader import ReaderService
from bookshelf.services.reading import ReadingService
from bookshelf.services.recovery import recover
from bookshelf.services.removal import RemovalService
from bookshelf.services.review import ReviewService
from bookshelf.services.search import SearchService
from bookshelf.services.secrets_box import SealBox, SecretKeyError, load_or_create_key
from bookshelf.services.sessions import SessionService
from bookshelf.services.stats import StatsService
from bookshelf.services.trash import TrashService
from bookshelf.settings import Settings
from bookshelf.taskqueue import TaskQueue
from bookshelf.web.ratelimit import FailureLimiter

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
        self.queue: TaskQueue
        self.parser: ParseProcess
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
        self.lookups: Any = None  # services.lookups.LookupScheduler while the consumer runs
        self.importer: Any  # services.importing.ImportService (imported lazily: it pulls in the importers)

    @classmethod
    async def open(cls, settings: Settings, *, background: bool = True) -> Runtime:
        rt = cls(settings)
        try:
            await rt._open(background)
        except BaseException:
            await rt.close()
            raise
        return rt

    async def _open(self, background: bool) -> None:
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
        await self._open_pipeline(background)
        self.hardcover = HardcoverSyncService(self.db, settings, self.credentials, self.preferences)
        self._stack.push_async_callback(self.hardcover.close)
        await self.hardcover.recover()
        self.jobs.runners[HARDCOVER_TASK] = self._rerun_hardcover
        if background:
            # Build the typo vocabulary now rather than on the first search.
            self.search.refresh_soon()
            self.every(60, self.keys.flush_usage, "key usage flush")
            self.every(30, self.hardcover.tick, "hardcover sync schedule")
            self.every(1800, self._automatic_backup, "automatic backup")
            self.every(3600, self.trash.purge_expired, "trash purge")

    async def _rerun_hardcover(self, job: Any) -> None:
        await self.hardcover.rerun(job.id)

    async def _automatic_backup(self) -> None:
        from bookshelf.services import backup

        await backup.scheduled(self)

    async def _open_pipeline(self, background: bool) -> None:
        """Queue, jobs, ingest and the inbox watcher. Stopped in reverse: watcher, consumer, db."""
        from bookshelf.services.importing import ImportService
        from bookshelf.services.importing import task_specs as import_task_specs
        from bookshelf.tasks import task_specs

        settings = self.settings
        self.queue = TaskQueue(settings)
        self.parser = ParseProcess(settings, enabled=False)  # in this thread unless the consumer runs
        self._stack.callback(self.queue.close)
        self.jobs = JobService(self.db, self.queue)
        self.jobs.attach(asyncio.get_running_loop())
        self.mail_server = MailServerSettings(self.db, settings, self.box)
        self.devices = DeviceService(self.db)
        self.sender = SendService(self.db, settings, self.preferences, self.mail_server, self.devices, self.jobs)
        for spec in [*task_specs(self), *import_task_specs(self)]:
            self.queue.register(spec)
        self.ingest = IngestService(self.db, settings, self.jobs,
                                    lambda: bool(self.preferences.get("metadataSources")))  # fmt: skip
        self.inbox = InboxService(self.db, settings, self.search, self.jobs)
        self.removal = RemovalService(self.db, settings, self.jobs)
        self._open_library(settings)
        self.importer = ImportService(self)
        await self.trash.recover()  # before organizing: a half-restored book's files come back first
        if background and settings.start_consumer:
            self._open_lookups()
            await self.jobs.recover()
            self.jobs.start_recording()
            self._stack.push_async_callback(self.jobs.stop_recording)
            self._stack.push_async_callback(self.lookups.stop)  # before the recorder writes its last
            self.parser.enabled = settings.parse_process
            self._stack.push_async_callback(asyncio.to_thread, self.parser.stop)  # after the queue's workers
            self.every(5, lambda: asyncio.to_thread(self.parser.stop_if_idle), "parse worker idle stop")
            self.queue.start(settings.workers)
            self._stack.push_async_callback(asyncio.to_thread, self.queue.stop)
            self.register_component("queue", self.queue)
            self.every(10, lambda: asyncio.to_thread(self.queue.check_health), "queue health")
        if background and settings.start_watcher:
            from bookshelf.watcher import InboxWatcher

            watcher = InboxWatcher(settings, self.ingest)
            await watcher.start()
            self._stack.push_async_callback(watcher.stop)
            self.register_component("watcher", watcher)

    def _open_lookups(self) -> None:
        """Lookups run on the loop, per provider, apart from the queue's threads (see services.lookups)."""
        from bookshelf.services.lookups import Breaker, LookupScheduler

        backoff = self.settings.provider_backoff
        self.lookups = LookupScheduler(self.metadata, self.review, self.preferences, self.jobs,
                                       breaker=lambda: Breaker(base=backoff))  # fmt: skip
        self.jobs.owners["lookup_metadata"] = self.lookups
        self.every(30, self.lookups.adopt, "lookups left by bookshelf import")

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


def data_path(settings: Settings, *parts: str) -> Path:
    return settings.data_dir.joinpath(*parts)
