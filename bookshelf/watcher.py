"""The inbox watcher: files dropped into the inbox folder enter ingest once they stop changing.

watchfiles reports changes (or polls, for network shares); a file is taken only when its size
and mtime have stayed the same for ``watch_settle_seconds``. Names that downloaders and sync
tools use while writing are ignored until renamed. Files already there at start are taken too.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import time
from pathlib import Path

from bookshelf.priority import mark_background
from bookshelf.services.ingest.pipeline import IngestService, Unsupported
from bookshelf.settings import Settings

log = logging.getLogger("bookshelf.watcher")

# Change events can be missed (a file written while the watch was starting, an inotify queue
# overflow), so the folder is also rescanned: soon after start, then every RESCAN_SECONDS.
FIRST_RESCAN_SECONDS = 1.0
RESCAN_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
TEMP_SUFFIXES = (".part", ".crdownload", ".tmp", ".partial", ".download", ".bookshelf-part", ".!qb", ".opdownload")


def is_temporary(name: str) -> bool:
    """Hidden files (Syncthing's .syncthing.*.tmp among them), Office locks and in-flight downloads."""
    lowered = name.lower()
    return name.startswith((".", "~$")) or lowered.endswith(TEMP_SUFFIXES)


class InboxWatcher:
    def __init__(self, settings: Settings, ingest: IngestService) -> None:
        self.settings = settings
        self.ingest = ingest
        self.root = settings.inbox_dir
        self._pending: dict[Path, tuple[int, int, float]] = {}  # path -> (size, mtime_ns, stable since)
        self._refused: set[tuple[Path, int, int]] = set()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._changed = asyncio.Event()

    async def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self._scan(self.root)
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._watch(), name="inbox watch"),
                       loop.create_task(self._settle(), name="inbox settle")]  # fmt: skip
        log.info("watching %s%s", self.root, " (polling)" if self.settings.watch_poll else "")

    async def stop(self) -> None:
        """Stop watching; a file being taken is finished first (its transaction is never cut)."""
        self._stop.set()
        self._changed.set()
        for task in self._tasks:
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout=STOP_TIMEOUT_SECONDS)
            except (TimeoutError, asyncio.CancelledError, Exception):
                task.cancel()

    def alive(self) -> bool:
        return bool(self._tasks) and not any(task.done() for task in self._tasks)

    # -- noticing files --------------------------------------------------------

    def _relevant(self, path: Path) -> bool:
        try:
            parts = path.relative_to(self.root).parts
        except ValueError:
            return False
        return bool(parts) and not any(is_temporary(part) for part in parts)

    def _note(self, path: Path) -> None:
        if not self._relevant(path):
            return
        try:
            info = path.lstat()
        except OSError:
            self._pending.pop(path, None)
            return
        if stat.S_ISDIR(info.st_mode):
            self._scan(path)  # a folder moved in brings files that raise no events of their own
            return
        if not stat.S_ISREG(info.st_mode):
            return  # symlinks could point anywhere on the server; devices and fifos are not books
        previous = self._pending.get(path)
        if previous is None or previous[:2] != (info.st_size, info.st_mtime_ns):
            self._pending[path] = (info.st_size, info.st_mtime_ns, time.monotonic() - self._quiet_for(info))
        self._changed.set()

    def _quiet_for(self, info: os.stat_result) -> float:
        """How long the file has not been written, by its mtime: every write moves mtime, and tools
        that keep an old mtime (mv across disks, cp -p, unzip) set it after the last byte. A file
        finished long ago is taken without the settle wait. Network shares (polling) may have
        another clock, so there only what we watched ourselves counts."""
        if self.settings.watch_poll:
            return 0.0
        return min(max(time.time() - info.st_mtime, 0.0), self.settings.watch_settle_seconds)

    def _scan(self, folder: Path) -> None:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = [d for d in dirnames if not is_temporary(d)]
            for name in filenames:
                self._note(Path(dirpath) / name)

    async def _watch(self) -> None:
        from watchfiles import awatch

        async for changes in awatch(
            self.root,
            stop_event=self._stop,
            force_polling=self.settings.watch_poll,
            poll_delay_ms=500,
            debounce=400,
            step=50,
            recursive=True,
            ignore_permission_denied=True,
        ):
            for _, raw in changes:
                self._note(Path(raw))

    # -- taking settled files --------------------------------------------------

    async def _settle(self) -> None:
        mark_background()  # taking dropped files waits behind requests' writes
        settle = self.settings.watch_settle_seconds
        tick = min(max(settle / 4, 0.05), 0.5)  # re-stat pending files this often, events or not
        rescan_at = time.monotonic() + FIRST_RESCAN_SECONDS
        while not self._stop.is_set():
            if time.monotonic() >= rescan_at:
                self._scan(self.root)
                rescan_at = time.monotonic() + RESCAN_SECONDS
            wait = max(rescan_at - time.monotonic(), 0.01)
            if self._pending:
                ready, next_due = self._check_pending(settle)
                for path in ready:
                    if self._stop.is_set():
                        return  # the rest are still in the inbox folder and taken on the next start
                    await self._take(path)
                wait = min(wait, tick, next_due)
            self._changed.clear()
            try:  # a new event wakes us at once; otherwise at the next due time or tick
                async with asyncio.timeout(max(wait, 0.01)):  # not wait_for: it can swallow a cancel on 3.11
                    await self._changed.wait()
            except TimeoutError:
                pass

    def _check_pending(self, settle: float) -> tuple[list[Path], float]:
        """(files unchanged for ``settle`` seconds, seconds until the next one may be)."""
        now = time.monotonic()
        ready = []
        next_due = settle
        for path, (size, mtime, since) in list(self._pending.items()):
            try:
                info = path.lstat()
            except OSError:
                self._pending.pop(path, None)  # gone (renamed away or removed)
                continue
            if (info.st_size, info.st_mtime_ns) != (size, mtime):
                self._pending[path] = (info.st_size, info.st_mtime_ns, now)
            elif now - since >= settle:
                ready.append(path)
                self._pending.pop(path)
            else:
                next_due = min(next_due, settle - (now - since))
        return sorted(ready), next_due

    async def _take(self, path: Path) -> None:
        try:
            info = path.stat()
        except OSError:
            return
        key = (path, info.st_size, info.st_mtime_ns)
        if key in self._refused:
            return
        try:
            result = await self.ingest.accept(path)
        except Unsupported as exc:
            self._refused.add(key)  # logged once; left where it is for the user to see
            log.warning("left %s in the inbox: %s", path.relative_to(self.root), exc.message)
        except FileNotFoundError:
            pass  # removed while we looked at it
        except OSError as exc:
            log.error("could not take %s: %s; it stays in the inbox", path, exc.strerror or exc)
        except Exception:
            log.exception("could not take %s; it stays in the inbox", path)
        else:
            if result.duplicate:
                log.warning("%s is already in bookshelf (book %s); moved to %s", path.name, result.book_id,
                            result.duplicate_path)  # fmt: skip
