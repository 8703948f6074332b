"""Pages of comics and PDFs as images for OPDS page streaming, rendered once and cached on disk."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from bookshelf.errors import NotFound
from bookshelf.formats.covers import encode_jpeg, open_image
from bookshelf.formats.pages import render_page
from bookshelf.formats.parsed import FormatError
from bookshelf.models import BookFile

CACHE_CAP_BYTES = 200 * 1024 * 1024
MAX_WIDTH = 4096  # wider requests are served at the page's own size (never upscaled anyway)
_TOUCH_AFTER_SECONDS = 3600  # refresh a hit's mtime (its LRU age) at most this often
_SHOWABLE = ("image/jpeg", "image/png", "image/gif")
_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"GIF8", "image/gif"))


def image_type(data: bytes) -> str:
    return next((kind for magic, kind in _MAGIC if data.startswith(magic)), "image/jpeg")


def _render(path: Path, fmt: str, index: int, max_width: int | None) -> bytes:
    """Page ``index`` as JPEG, PNG or GIF bytes (runs in a worker thread)."""
    try:
        data, media_type = render_page(path, fmt, index, max_width)
        if media_type not in _SHOWABLE:  # webp/bmp/avif pages: not every reader decodes them
            data = encode_jpeg(open_image(data))
    except FormatError as exc:
        raise NotFound(f"Page {index} cannot be read from this file: {exc.message}") from None
    return data


class PageService:
    """Renders on demand, at most ``workers`` at a time, and keeps results under ``cap`` bytes."""

    def __init__(self, cache_dir: Path, cap: int = CACHE_CAP_BYTES, workers: int = 2) -> None:
        self.dir = cache_dir / "pages"
        self.cap = cap
        self._render_slots = asyncio.Semaphore(workers)
        self._inflight: dict[str, asyncio.Future[bytes]] = {}
        self._size: int | None = None

    def cached_path(self, file: BookFile, index: int, max_width: int | None) -> Path:
        return self.dir / file.sha256[:2] / f"{file.sha256}-{index}-{max_width or 0}.img"

    async def page(self, path: Path, file: BookFile, index: int, max_width: int | None) -> bytes:
        """The bytes of page ``index`` (0-based) of ``file`` stored at ``path``."""
        if not 0 <= index < (file.page_count or 0):
            raise NotFound(f"Page {index} does not exist; the book has {file.page_count or 0} pages")
        if max_width is not None and max_width >= MAX_WIDTH:
            max_width = None
        target = self.cached_path(file, index, max_width)
        data = _read_cached(target)
        if data is not None:
            return data
        key = str(target)
        pending = self._inflight.get(key)
        if pending is not None:  # someone is rendering this very page: share the result
            return await asyncio.shield(pending)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            async with self._render_slots:
                data = await asyncio.to_thread(_render, path, file.format.lower(), index, max_width)
            await asyncio.to_thread(self._store, target, data)
            future.set_result(data)
            return data
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters (if any) re-raise it themselves
            raise
        finally:
            del self._inflight[key]

    def _store(self, target: Path, data: bytes) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        temp.write_bytes(data)
        os.replace(temp, target)
        if self._size is None:
            self._size = self._scan_size()
        else:
            self._size += len(data)
        if self._size > self.cap:
            self._evict()

    def _scan_size(self) -> int:
        return sum(entry.stat().st_size for entry in self._entries())

    def _entries(self) -> list[os.DirEntry[str]]:
        found: list[os.DirEntry[str]] = []
        if not self.dir.is_dir():
            return found
        for bucket in os.scandir(self.dir):
            if bucket.is_dir():
                found.extend(e for e in os.scandir(bucket.path) if e.is_file() and e.name.endswith(".img"))
        return found

    def _evict(self) -> None:
        """Drop the least recently used pages until the cache is at 80% of its cap."""
        entries = sorted(self._entries(), key=lambda e: e.stat().st_mtime)
        total = sum(e.stat().st_size for e in entries)
        goal = self.cap * 0.8
        for entry in entries:
            if total <= goal:
                break
            size = entry.stat().st_size
            try:
                os.unlink(entry.path)
            except FileNotFoundError:
                pass
            total -= size
        self._size = total


def _read_cached(target: Path) -> bytes | None:
    try:
        with open(target, "rb") as handle:
            data = handle.read()
            mtime = os.fstat(handle.fileno()).st_mtime
    except OSError:
        return None
    now = time.time()
    if now - mtime > _TOUCH_AFTER_SECONDS:
        try:
            os.utime(target, (now, now))
        except OSError:
            pass
    return data
