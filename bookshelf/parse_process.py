"""The parse worker: books are read in a child process at a lower CPU priority.

Reading a book is CPU-bound Python; in the server's own threads it holds the GIL that every
request needs. The server starts the child on the first parse (spawn: a clean interpreter, not
a fork of a threaded process), stops it after a quiet spell and when it stops itself, and the
child dies with the server (PR_SET_PDEATHSIG), so it is still one program with nothing to install.
The child reads the file and stores the cover; the database stays the server's alone.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Generic, TypeVar

from bookshelf.settings import Settings

log = logging.getLogger("bookshelf.parse")
R = TypeVar("R")
IDLE_SECONDS = 20.0
NICENESS = 10
PR_SET_PDEATHSIG = 1


def _child_start() -> None:
    """In the child: lower priority, leave Ctrl-C to the server, die when the server dies."""
    try:
        os.nice(NICENESS)
    except OSError:
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the pool's own pipe still ends the child
        pass


class ParseProcess(Generic[R]):
    """``parse(path)`` from a queue worker thread runs ``work(path, settings)`` in the child (the
    ingest service's reader: the book read, its cover stored); ``enabled=False`` runs it in the
    calling thread. ``work`` returns values rather than raising: an exception's own pickling may
    drop what the caller needs."""

    def __init__(
        self, work: Callable[[str, Settings], R], settings: Settings, enabled: bool = True, idle: float = IDLE_SECONDS
    ) -> None:
        self.work = work
        self.settings = settings
        self.enabled = enabled
        self.idle = idle
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._busy = 0
        self._last = time.monotonic()
        self.started = 0  # child processes started (the idle stop is visible in tests)

    def parse(self, path: Path) -> R:
        if not self.enabled:
            return self.work(str(path), self.settings)
        return self._in_child(path)

    def _in_child(self, path: Path) -> R:
        for attempt in (1, 2):
            pool = self._take()
            try:
                return pool.submit(self.work, str(path), self.settings).result()
            except BrokenProcessPool:
                # The child died (killed, out of memory on a hostile file): a fresh one tries once more.
                self._drop(pool)
                if attempt == 2:
                    raise RuntimeError("the parse worker process stopped while reading this book") from None
            finally:
                with self._lock:
                    self._busy -= 1
                    self._last = time.monotonic()
        raise AssertionError("unreachable")

    def _take(self) -> ProcessPoolExecutor:
        with self._lock:
            self._busy += 1
            if self._pool is None:
                context = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(1, mp_context=context, initializer=_child_start)
                self.started += 1
                log.debug("parse worker process started")
            return self._pool

    def _drop(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    def alive(self) -> bool:
        return self._pool is not None

    def stop_if_idle(self) -> bool:
        """Stop the child after ``idle`` quiet seconds (blocking: call in a thread). True if stopped."""
        with self._lock:
            pool = self._pool
            if pool is None or self._busy or time.monotonic() - self._last < self.idle:
                return False
            self._pool = None
        pool.shutdown(wait=True)
        log.debug("parse worker process stopped (idle)")
        return True

    def stop(self) -> None:
        """At server stop, after the queue's workers finished (blocking: call in a thread)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
