"""The queue: Huey on its own SQLite file, with a consumer that runs inside the server process.

Huey has one queue; our queues (parse, metadata, organize, hardcover) are a property of each
task name (:class:`TaskSpec`). Task functions are plain ``def`` and run in worker threads; they
reach the async services on the server's loop through :func:`on_loop`, never a second loop.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import sqlite3
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from huey import SqliteHuey
from huey import signals as S
from huey.consumer import Consumer, Worker

from bookshelf.db.priority import mark_background
from bookshelf.errors import BookshelfError, UpstreamError
from bookshelf.settings import Settings

log = logging.getLogger("bookshelf.queue")
T = TypeVar("T")

MAX_RETRIES = 5
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 300.0
SHUTDOWN_TIMEOUT_SECONDS = 8.0


@dataclass(frozen=True)
class TaskSpec:
    """A task: its name (also Huey's), the queue it belongs to, and the plain function it runs."""

    name: str
    queue: str
    run: Callable[..., None]
    retries: int = MAX_RETRIES


def on_loop(loop: asyncio.AbstractEventLoop, coro: Awaitable[T]) -> T:
    """Run ``coro`` on the server's loop from a worker thread and wait for its result; its writes
    wait behind those of requests (db.priority)."""
    return asyncio.run_coroutine_threadsafe(_background(coro), loop).result()


async def _background(coro: Awaitable[T]) -> T:
    mark_background()
    return await coro


def is_transient(exc: BaseException) -> bool:
    """Worth retrying later: the network, a busy database, or a provider that said so."""
    if isinstance(exc, UpstreamError):
        return exc.transient
    if isinstance(exc, sqlite3.OperationalError):
        return "locked" in str(exc) or "busy" in str(exc)
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    if isinstance(exc, OSError) and exc.errno in (errno.ETIMEDOUT, errno.ECONNRESET, errno.EHOSTUNREACH):
        return True
    try:
        import httpx
    except ImportError:  # pragma: no cover - httpx is a dependency
        return False
    return isinstance(exc, httpx.TransportError)


def retry_delay(attempt: int, exc: BaseException) -> float:
    """Exponential backoff from the attempt that just failed; a provider's Retry-After wins."""
    if isinstance(exc, UpstreamError) and exc.retry_after:
        return min(float(exc.retry_after), BACKOFF_MAX_SECONDS)
    return min(BACKOFF_BASE_SECONDS * 2 ** max(attempt - 1, 0), BACKOFF_MAX_SECONDS)


def error_text(exc: BaseException) -> str:
    """What /api/jobs/failed shows: our errors' sentence, otherwise the exception's type and text."""
    message = getattr(exc, "message", None)
    if isinstance(message, str) and message:
        return message
    return f"{type(exc).__name__}: {exc}"[:2000]


class _ExpectedFailures(logging.Filter):
    """Huey logs every task exception with a traceback; our own errors (a corrupt book, a provider
    saying no) are expected and the jobs service logs their one-line reason instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not (isinstance(exc, BookshelfError) and exc.status < 500)


_FILTER = _ExpectedFailures()


class _Worker(Worker):
    """A Huey worker that also wakes when this process enqueues, instead of only polling."""

    wake: threading.Event
    delay: float
    max_delay: float
    backoff: float

    def sleep(self) -> None:
        self.wake.wait(min(self.delay, self.max_delay))
        self.wake.clear()
        self.delay = min(self.delay * self.backoff, self.max_delay)


class _Consumer(Consumer):
    worker_class = _Worker

    def __init__(self, huey: SqliteHuey, wake: threading.Event, **options: Any) -> None:
        self.wake = wake
        super().__init__(huey, **options)

    def _create_worker(self) -> Worker:
        worker = super()._create_worker()
        worker.wake = self.wake  # type: ignore[attr-defined]
        return worker

    def _set_signal_handlers(self) -> None:
        """Leave SIGINT/SIGTERM to uvicorn: the runtime stops us when the server stops."""


# Called in a worker thread as (signal name, task id, retries left, exception or None).
SignalHandler = Callable[[str, str, int, BaseException | None], None]


class TaskQueue:
    """Huey on ``queue.db`` plus an in-process consumer, started and stopped by the runtime."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # fsync off: the jobs table in bookshelf.db is the durable record and requeues on start.
        self.huey = SqliteHuey(
            "bookshelf", filename=str(settings.queue_path), results=False, fsync=False, timeout=15, utc=True
        )
        self.specs: dict[str, TaskSpec] = {}
        self._wrappers: dict[str, Any] = {}
        self._wake = threading.Event()
        self._consumer: _Consumer | None = None
        self._handler: SignalHandler | None = None
        self.huey.signal()(self._on_signal)
        huey_log = logging.getLogger("huey")
        if _FILTER not in huey_log.filters:
            huey_log.addFilter(_FILTER)

    def register(self, spec: TaskSpec) -> None:
        def execute(task: Any = None, **kwargs: Any) -> None:
            try:
                spec.run(**kwargs)
            except Exception as exc:
                attempt = spec.retries - task.retries + 1
                if task.retries > 0 and is_transient(exc):
                    task.retry_delay = retry_delay(attempt, exc)
                else:
                    task.retries = 0  # permanent: fail now, keep the reason, let a person retry
                raise

        execute.__name__ = spec.name
        self.specs[spec.name] = spec
        self._wrappers[spec.name] = self.huey.task(retries=spec.retries, context=True, name=spec.name)(execute)

    def on_signal(self, handler: SignalHandler) -> None:
        self._handler = handler

    def _on_signal(self, signal: str, task: Any, *args: Any) -> None:
        if self._handler is None or signal == S.SIGNAL_ENQUEUED:
            return
        exc = args[0] if args and isinstance(args[0], BaseException) else None
        self._handler(signal, task.id, int(task.retries or 0), exc)

    def submit(self, name: str, job_id: str, kwargs: dict[str, Any]) -> None:
        """Put one run of task ``name`` on the queue under our job id (blocking: call in a thread)."""
        wrapper = self._wrappers[name]
        self.huey.enqueue(wrapper.task_class((), dict(kwargs), id=job_id))
        self._wake.set()

    def queued_ids(self) -> set[str]:
        """Ids of every task waiting or scheduled in Huey's storage (raw, so unknown names do not fail)."""
        ids: set[str] = set()
        storage = self.huey.storage
        for data in [*storage.enqueued_items(), *storage.scheduled_items()]:
            try:
                ids.add(self.huey.serializer.deserialize(data).id)
            except Exception:  # a message from an older version; it will fail visibly when run
                log.warning("unreadable message in the queue file")
        return ids

    def revoke(self, job_id: str) -> None:
        self.huey.revoke_by_id(job_id, revoke_once=True)

    # -- consumer --------------------------------------------------------------

    def start(self, workers: int) -> None:
        # Worker threads parse books (CPU-bound Python); every database statement is a hand-off
        # between the loop and aiosqlite's thread, which waits up to the GIL switch interval
        # (5 ms by default) each time. A shorter interval keeps requests and writes responsive.
        sys.setswitchinterval(0.001)
        self._consumer = _Consumer(
            self.huey,
            self._wake,
            workers=workers,
            periodic=False,
            initial_delay=0.05,
            backoff=1.5,
            max_delay=1.0,
            scheduler_interval=1,
            worker_type="thread",
            check_worker_health=True,
            shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
        )
        self._consumer.start()
        log.info("queue consumer started with %d worker thread(s)", workers)

    def alive(self) -> bool:
        consumer = self._consumer
        if consumer is None or consumer.stop_flag.is_set():
            return False
        return consumer.scheduler.is_alive() and all(t.is_alive() for _, t in consumer.worker_threads)

    def check_health(self) -> None:
        """Restart a worker thread that died (Huey's consumer loop would; we run no such loop)."""
        if self._consumer is not None and not self._consumer.stop_flag.is_set():
            self._consumer.check_worker_health()

    def stop(self) -> None:
        """Finish the jobs in hand (up to a deadline); a job still running is left to run again on start."""
        consumer, self._consumer = self._consumer, None
        if consumer is None:
            return
        consumer.stop_flag.set()
        self._wake.set()
        consumer.stop(graceful=True)
        # Anything still in flight was abandoned: its job goes back to waiting and reruns on start.
        self.huey.notify_interrupted_tasks()
        log.info("queue consumer stopped")

    def close(self) -> None:
        self.huey.storage.close()
