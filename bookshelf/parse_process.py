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
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from bookshelf.settings import Settings

log = logging.getLogger("bookshelf.parse")
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


def read_and_store(path: str, settings: Settings) -> tuple[str, Any, Any]:
    """("ok", parsed book without its cover bytes, cover sha256) or ("format_error", message, reason)."""
    from bookshelf.formats import FormatError, read_book
    from bookshelf.services.ingest import store_cover

    try:
        parsed = read_book(Path(path))
    except FormatError as exc:  # sent back as values: the exception's own pickling drops ``reason``
        return "format_error", exc.message, exc.reason
    cover = store_cover(settings, parsed.cover) if parsed.cover else None
    parsed.cover = None
    return "ok", parsed, cover


class ParseProcess:
    """``parse(path)`` from a queue worker thread; ``enabled=False`` reads in the calling thread."""

    def __init__(self, settings: Settings, enabled: bool = True, idle: float = IDLE_SECONDS) -> None:
        self.settings = settings
        self.enabled = enabled
        self.idle = idle
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._busy = 0
        self._last = time.monotonic()
        self.started = 0  # child processes started (the idle stop is visible in tests)

    def parse(self, path: Path) -> tuple[Any, str | None]:
        """(ParsedBook, cover sha256). Raises FormatError with the reader's sentence."""
        from bookshelf.formats import FormatError

        if not self.enabled:
            kind, first, second = read_and_store(str(path), self.settings)
        else:
            kind, first, second = self._in_child(path)
        if kind == "format_error":
            raise FormatError(first, second)
        return first, second

    def _in_child(self, path: Path) -> tuple[str, Any, Any]:
        for attempt in (1, 2):
            pool = self._take()
            try:
                return pool.submit(read_and_store, str(path), self.settings).result()
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
