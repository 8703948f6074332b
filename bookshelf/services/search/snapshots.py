"""The search vocabulary snapshot: when it is rebuilt, in line or in the background.

A snapshot is the index's terms with their document counts (see vocabulary.py), read in one
go from the database. Searches use the current one; this decides when a change to the
library's words makes a new one worth building before answering, and when it can follow.
"""

from __future__ import annotations

import asyncio
import logging
import time

from bookshelf.db import Database
from bookshelf.db import search as sql
from bookshelf.db.connection import connect_sync
from bookshelf.services.search.vocabulary import Vocabulary

log = logging.getLogger("bookshelf.search")

# A vocabulary this small is rebuilt before answering (about 0.2 s on a 2-core machine). Deciding by
# size rather than by the last build's time keeps the choice the same on a busy machine: a timed
# build that happened to queue behind other threads used to push every later edit to the background.
INLINE_BUILD_TERMS = 10_000
REBUILD_INTERVAL_SECONDS = 10.0
# While books stream in (a bulk drop) every search finds a new version; rebuilding inline each time
# took search p99 to ~10 s in scripts/bench/bench_mixed.py. A few inline rebuilds per interval keep
# single edits instantly searchable; beyond that the rebuild moves to the background (FTS still
# finds new books at once, only typo corrections for their words lag).
INLINE_BUILDS_PER_INTERVAL = 3
# When only inbox books' words changed (an import streaming in), rebuilds wait this long apart.
INBOX_REBUILD_INTERVAL_SECONDS = 60.0
FULL_VOCABULARY_TERMS = 200_000  # beyond this, one-book description words are not corrected towards


class Snapshots:
    """The current vocabulary snapshot of ``db``'s search index, kept up to date."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.snapshot: Vocabulary | None = None
        self._library_text_version = -1  # of the snapshot: organized books' words when it was read
        self._build_lock = asyncio.Lock()
        self._background: asyncio.Task[None] | None = None
        self._background_due = 0.0  # when the pending background rebuild starts (monotonic)
        self._last_build = 0.0
        self._inline_builds: list[float] = []

    async def current(self) -> Vocabulary | None:
        """The current snapshot: rebuilt first when the library's own words changed and that is quick,
        otherwise refreshed in the background."""
        # A point read: on the loop's own connection, not a hop to a reader thread and back.
        version, library_text = await self.db.read(sql.text_versions, on_loop=True)
        current = self.snapshot
        if current is not None and current.version == version:
            return current
        if current is not None and library_text == self._library_text_version:
            # Only inbox books' words changed (an import streaming in). Such a word cannot correct a
            # library search towards a library book, so this snapshot answers while a new one is built,
            # and not often: a build holds the interpreter about 0.1 s at 10,000 books, which every
            # request arriving meanwhile waits out.
            self._refresh_later(interval=INBOX_REBUILD_INTERVAL_SECONDS)
            return current
        now = time.monotonic()
        recent = [t for t in self._inline_builds if now - t < REBUILD_INTERVAL_SECONDS]
        self._inline_builds = recent
        quick = len(current or ()) <= INLINE_BUILD_TERMS and len(recent) < INLINE_BUILDS_PER_INTERVAL
        if current is None or quick:
            self._inline_builds.append(now)
            return await self.refresh()
        self._refresh_later()
        return current

    async def refresh(self) -> Vocabulary:
        """Rebuild the vocabulary snapshot now (one build at a time; waiters share its result)."""
        async with self._build_lock:
            version = await self.db.read(lambda conn: sql.text_versions(conn)[0])
            if self.snapshot is not None and self.snapshot.version == version:
                return self.snapshot
            started = time.perf_counter()
            vocabulary, self._library_text_version = await asyncio.to_thread(_load_vocabulary, self.db)
            seconds = time.perf_counter() - started
            self._last_build = time.monotonic()
            self.snapshot = vocabulary
            log.debug("search vocabulary: %d terms in %.2fs", len(vocabulary), seconds)
            return vocabulary

    def refresh_soon(self) -> None:
        """Build the vocabulary in the background now (at start, so the first search need not wait)."""
        self._refresh_later(0.0)

    def _refresh_later(self, delay: float | None = None, interval: float | None = None) -> None:
        if delay is None:  # at most one rebuild per interval while the library is changing
            interval = REBUILD_INTERVAL_SECONDS if interval is None else interval
            delay = max(0.0, self._last_build + interval - time.monotonic())
        due = time.monotonic() + delay
        if self._background is not None and not self._background.done():
            # A pending rebuild due no later is kept; one already building has a due time in the
            # past, so it is kept too. Only an inbox-paced one a library change overtakes is dropped.
            if self._background_due <= due:
                return
            self._background.cancel()

        async def later() -> None:
            await asyncio.sleep(delay)
            try:
                await self.refresh()
            except Exception:
                log.exception("search vocabulary refresh failed")

        self._background_due = due
        self._background = asyncio.get_running_loop().create_task(later(), name="search vocabulary")

    async def close(self) -> None:
        if self._background is not None:
            self._background.cancel()
            try:
                await self._background
            except (asyncio.CancelledError, Exception):
                pass


def _load_vocabulary(db: Database) -> tuple[Vocabulary, int]:
    """A fresh snapshot and the library text version it was read at."""
    conn = connect_sync(db.path)
    try:
        (version, library_text), terms = sql.vocabulary(conn, FULL_VOCABULARY_TERMS)
    finally:
        conn.close()
    return Vocabulary(terms, version), library_text
