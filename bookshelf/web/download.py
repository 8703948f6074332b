"""File downloads for every surface: RFC 6266 Content-Disposition, ETag, and single byte ranges.

The API and OPDS both send book files through :func:`download_response`. The
file is opened before the response starts, so a file that vanished is a clean
404 rather than a broken stream, and the open handle is what gets streamed
(a rename under our feet cannot swap the bytes mid-download).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import stat
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from bookshelf.errors import BookshelfError, NotFound
from bookshelf.models import MEDIA_TYPES
from bookshelf.services.names import translit

CHUNK = 64 * 1024
# Threads that read files being sent (a file read waits on the disk, not the CPU): started on
# first use, idle otherwise.
file_reads = ThreadPoolExecutor(max_workers=4, thread_name_prefix="bookshelf-file-read")
_NOWAIT: int | None = getattr(os, "RWF_NOWAIT", None)  # Linux 4.14+: read only what the page cache holds


def cached_read(fd: int, size: int, offset: int) -> bytes | None:
    """Up to ``size`` bytes at ``offset`` when the page cache already holds them, read on the
    loop with no disk wait (RWF_NOWAIT); None when any of it would wait for the disk, or the
    system cannot say: the caller reads in a thread then. A file just written or sent (the
    usual download) is in the cache, and saves the trip to a thread and back."""
    if _NOWAIT is None:
        return None
    buffer = bytearray(size)
    try:
        read = os.preadv(fd, [buffer], offset, _NOWAIT)
    except OSError:  # EAGAIN: not cached; EOPNOTSUPP: a filesystem without it
        return None
    return bytes(memoryview(buffer)[:read]) if read else None  # 0: the end, or nothing cached


_RANGE = re.compile(r"^\s*bytes\s*=\s*([0-9]*)\s*-\s*([0-9]*)\s*$", re.IGNORECASE)
# Any byte position this long is past every file; capping it keeps int() away from Python's
# 4,300-digit limit (a ValueError, once a 500).
_HUGE = 10**18
_QUOTED_UNSAFE = re.compile(r'[^\x20-\x7e]|["\\]')


class RangeNotSatisfiable(BookshelfError):
    status = 416
    code = "invalid_input"


def media_type_for(fmt: str) -> str:
    return MEDIA_TYPES.get(fmt.lower(), "application/octet-stream")


def content_disposition(filename: str, ascii_name: str | None = None, disposition: str = "attachment") -> str:
    """``attachment; filename="ascii"; filename*=UTF-8''percent-encoded`` (RFC 6266 / 8187).

    ``filename=`` is all KOReader reads: a readable transliteration, never empty (the
    caller passes the file's unique one; without it one is spelt from the name)."""
    name = unicodedata.normalize("NFC", os.path.basename(filename.replace("\\", "/"))) or "download"
    fallback = _QUOTED_UNSAFE.sub("_", ascii_name or translit.ascii_name(name, "download"))
    encoded = quote(name, safe="")
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end inclusive) for one satisfiable byte range; None means send the whole file.

    Malformed and multi-part ranges are ignored (RFC 9110 lets a server send
    200 instead); a well-formed range starting past the end raises 416.
    """
    if not header:
        return None
    match = _RANGE.match(header)
    if not match:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last N bytes
        length = _number(last)
        if length == 0:
            raise _unsatisfiable(size)
        return max(0, size - length), size - 1
    start = _number(first)
    end = _number(last) if last else size - 1
    if last and end < start:
        return None  # malformed: ignored
    if start >= size:
        raise _unsatisfiable(size)
    return start, min(end, size - 1)


def _number(digits: str) -> int:
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) < 19 else _HUGE


def _unsatisfiable(size: int) -> RangeNotSatisfiable:
    return RangeNotSatisfiable("Requested range is outside the file", headers={"Content-Range": f"bytes */{size}"})


def file_etag(st: os.stat_result) -> str:
    digest = hashlib.md5(f"{st.st_mtime_ns}-{st.st_size}-{st.st_ino}".encode(), usedforsecurity=False)
    return f'"{digest.hexdigest()}"'


def _open_regular(path: Path) -> tuple[BinaryIO, os.stat_result]:
    try:
        handle = open(path, "rb")  # closed by the response once streamed
    except OSError:
        raise NotFound("File is missing") from None
    st = os.fstat(handle.fileno())
    if not stat.S_ISREG(st.st_mode):
        handle.close()
        raise NotFound("File is missing")
    return handle, st


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


class _OpenFileResponse(Response):
    """Streams ``length`` bytes from ``offset`` of an already open file, then closes it."""

    def __init__(self, handle: BinaryIO, offset: int, length: int, status: int, headers: dict[str, str]) -> None:
        super().__init__(status_code=status, headers=headers)
        self.handle = handle
        self.offset = offset
        self.length = length

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            if scope["method"] == "HEAD" or self.length == 0:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            # pread: each chunk is one trip to a thread, with no seek of its own. The trip is the
            # loop's own executor call on threads kept for reading files: anyio's to_thread
            # passes several loop turns (limiter, checkpoints) and took 130 ms a chunk under the
            # 50-client crowd; ingest's copies and parses never hold these threads.
            loop = asyncio.get_running_loop()
            fd, offset, remaining = self.handle.fileno(), self.offset, self.length
            while remaining > 0:
                size = min(CHUNK, remaining)
                chunk = cached_read(fd, size, offset) or await loop.run_in_executor(file_reads, os.pread, fd, size,
                                                                                     offset)  # fmt: skip
                if not chunk:  # the file shrank underneath us; end the body honestly short
                    break
                offset += len(chunk)
                remaining -= len(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": remaining > 0})
            if remaining > 0:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            self.handle.close()


def download_response(request: Request, path: Path, filename: str, media_type: str,
                      ascii_name: str | None = None) -> Response:  # fmt: skip
    """The file at ``path`` (already resolved safely by the caller) as an attachment named ``filename``.

    Honours ``Range`` (one range -> 206 with Content-Range, past the end -> 416),
    ``If-Range`` and ``If-None-Match`` (304). Raises NotFound when the file is gone.
    """
    handle, st = _open_regular(path)
    etag = file_etag(st)
    headers = {
        "Content-Disposition": content_disposition(filename, ascii_name),
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Last-Modified": formatdate(st.st_mtime, usegmt=True),
        "Cache-Control": "private, no-cache",
        "Content-Type": media_type,
    }
    if _etag_matches(request.headers.get("if-none-match"), etag):
        handle.close()
        return Response(status_code=304, headers={k: v for k, v in headers.items() if k != "Content-Type"})
    size = st.st_size
    if_range = request.headers.get("if-range")
    use_range = if_range is None or if_range.strip() in (etag, headers["Last-Modified"])
    try:
        span = parse_range(request.headers.get("range"), size) if use_range else None
    except Exception:  # 416, or anything unforeseen: never leak the open file
        handle.close()
        raise
    if span is None:
        headers["Content-Length"] = str(size)
        return _OpenFileResponse(handle, 0, size, 200, headers)
    start, end = span
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1)
    return _OpenFileResponse(handle, start, end - start + 1, 206, headers)
