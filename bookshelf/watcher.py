"""The inbox watcher: files dropped into the inbox folder enter ingest once they stop changing.

watchfiles reports changes (or polls, for network shares); a file is taken only when its size
and mtime have stayed the same for ``watch_settle_seconds``. Names that downloaders and sync
tools use while writing are ignored until renamed. Files already there at start are taken too.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path

from bookshelf.services.ingest import IngestService, Unsupported
from bookshelf.settings import Settings

log = logging.getLogger("bookshelf.watcher")

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
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass

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
            info = path.stat()
        except OSError:
            self._pending.pop(path, None)
            return
        if os.path.isdir(path):
            self._scan(path)  # a folder moved in brings files that raise no events of their own
            return
        if not path.is_file():
            return
        previous = self._pending.get(path)
        if previous is None or previous[:2] != (info.st_size, info.st_mtime_ns):
            self._pending[path] = (info.st_size, info.st_mtime_ns, time.monotonic())
        self._changed.set()

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
        settle = self.settings.watch_settle_seconds
        tick = min(max(settle / 4, 0.05), 0.5)
        while not self._stop.is_set():
            if not self._pending:
                self._changed.clear()
                try:
                    await asyncio.wait_for(self._changed.wait(), timeout=5)
                except TimeoutError:
                    pass
                continue
            await asyncio.sleep(tick)
            now = time.monotonic()
            ready = []
            for path, (size, mtime, since) in list(self._pending.items()):
                try:
                    info = path.stat()
                except OSError:
                    self._pending.pop(path, None)  # gone (renamed away or removed)
                    continue
                if (info.st_size, info.st_mtime_ns) != (size, mtime):
                    self._pending[path] = (info.st_size, info.st_mtime_ns, now)
                elif now - since >= settle:
                    ready.append(path)
            for path in sorted(ready):
                self._pending.pop(path, None)
                await self._take(path)

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
