"""The queue: Huey on its own SQLite file, with a consumer that runs inside the server process.

Huey has one queue; our queues (parse, metadata, organize, hardcover) are a property of each
task name (:class:`TaskSpec`). Task functions are plain ``def`` and run in worker threads; they
reach the async services on the server's loop through :func:`on_loop`, never a second loop.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from huey import SqliteHuey
from huey import signals as S
from huey.consumer import Consumer, Worker

from bookshelf.errors import BookshelfError, UpstreamError, is_transient
from bookshelf.priority import mark_background
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


def on_loop(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on the server's loop from a worker thread and wait for its result; its writes
    wait behind those of requests (db.priority)."""
    return asyncio.run_coroutine_threadsafe(_background(coro), loop).result()


async def _background(coro: Coroutine[Any, Any, T]) -> T:
    mark_background()
    return await coro


def retry_delay(attempt: int, exc: BaseException) -> float:
    """Exponential backoff from the attempt that just failed; a provider's Retry-After wins."""
    if isinstance(exc, UpstreamError) and exc.retry_after:
        return min(float(exc.retry_after), BACKOFF_MAX_SECONDS)
    return min(BACKOFF_BASE_SECONDS * 2.0 ** max(attempt - 1, 0), BACKOFF_MAX_SECONDS)


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
        worker.wake = self.wake
        return worker

    def _set_signal_handlers(self) -> None:
        """Leave SIGINT/SIGTERM to uvicorn: the runtime stops us when the server stops."""


# Called in a worker thread as (signal name, task id, retries left, exception or None).
SignalHandler = Callable[[str, str, int, BaseException | None], None]


class _Tasks:
    """The registered tasks, which both queues know the same way."""

    def __init__(self) -> None:
        self.specs: dict[str, TaskSpec] = {}

    def register(self, spec: TaskSpec) -> None:
        self.specs[spec.name] = spec

    def queue_for(self, task: str) -> str:
        return self.specs[task].queue

    def knows(self, task: str) -> bool:
        return task in self.specs

    def run(self, task: str, kwargs: dict[str, Any]) -> None:
        self.specs[task].run(**kwargs)


class InlineQueue(_Tasks):
    """Jobs run in this process, when the job service drains them (the command line, tests):
    no Huey file, no consumer, no retries. The tasks in ``leave_queued`` are not run here: their
    jobs stay waiting in the jobs table for the server (the CLI parses; the server looks up)."""

    def __init__(self, leave_queued: Iterable[str] = ()) -> None:
        super().__init__()
        self._pending: list[tuple[str, str, dict[str, Any]]] = []
        self._left = frozenset(leave_queued)

    def submit(self, task: str, job_id: str, kwargs: dict[str, Any]) -> None:
        if task not in self._left:
            self._pending.append((task, job_id, dict(kwargs)))

    def queued_ids(self) -> set[str]:
        return {job_id for _, job_id, _ in self._pending}

    def revoke(self, job_id: str) -> None:
        self._pending = [run for run in self._pending if run[1] != job_id]

    def on_signal(self, handler: SignalHandler) -> None:
        """Nothing signals: the job service records each run it drains itself."""

    def take(self) -> tuple[str, str, dict[str, Any]] | None:
        return self._pending.pop(0) if self._pending else None


class TaskQueue(_Tasks):
    """Huey on ``queue.db`` plus an in-process consumer, started and stopped by the runtime."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        # fsync off: the jobs table in bookshelf.db is the durable record and requeues on start.
        self.huey = SqliteHuey(
            "bookshelf", filename=str(settings.queue_path), results=False, fsync=False, timeout=15, utc=True
        )
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
        super().register(spec)
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

    def take(self) -> tuple[str, str, dict[str, Any]] | None:
        return None  # the consumer takes Huey's work

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
