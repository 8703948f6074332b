"""The archive comment of a RAR 4 or RAR 5 file, where comic taggers keep ComicBookInfo.

libarchive does not expose RAR comments, so the headers are walked here. Only what
comes before the first file header is read (the comment's service header sits
right after the main header in both versions), at most a few KiB of headers and a
64 KiB comment, and only a comment stored uncompressed is returned: decompressing
RAR is libarchive's job, and a tagger's short JSON is stored. Anything unexpected
gives an empty comment, never an error: the pages are still readable.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

RAR4_MARK = b"Rar!\x1a\x07\x00"
RAR5_MARK = b"Rar!\x1a\x07\x01\x00"
MAX_COMMENT = 64 * 1024
MAX_HEADERS = 16
_RAR4_STORED = 0x30
_RAR4_NEWSUB, _RAR4_FILE = 0x7A, 0x74
_RAR5_FILE, _RAR5_SERVICE, _RAR5_ENCRYPTION = 2, 3, 4


def rar_comment(path: Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(RAR5_MARK))
            if head.startswith(RAR4_MARK):
                handle.seek(len(RAR4_MARK))
                return _rar4(handle)
            if head == RAR5_MARK:
                return _rar5(handle)
    except (OSError, ValueError, struct.error, IndexError):
        pass
    return b""


def _rar4(handle: BinaryIO) -> bytes:
    read, seek, tell = handle.read, handle.seek, handle.tell
    for _ in range(MAX_HEADERS):
        start = tell()
        fixed = read(7)
        if len(fixed) < 7:
            return b""
        _crc, head_type, flags, size = struct.unpack("<HBHH", fixed)
        if size < 7:
            return b""
        body = read(size - 7)
        data_size = 0
        if flags & 0x8000 or head_type in (_RAR4_NEWSUB, _RAR4_FILE):
            data_size = struct.unpack_from("<I", body, 0)[0]
        if head_type == _RAR4_FILE:
            return b""
        if head_type == _RAR4_NEWSUB:
            method = body[18]
            name_size = struct.unpack_from("<H", body, 19)[0]
            offset = 25 + (8 if flags & 0x100 else 0)
            name = body[offset : offset + name_size]
            if name == b"CMT" and method == _RAR4_STORED and data_size <= MAX_COMMENT:
                return _exactly(read, data_size)
        seek(start + size + data_size)
    return b""


def _exactly(read: Callable[[int], bytes], size: int) -> bytes:
    data = read(size)
    return data if len(data) == size else b""  # a truncated archive has no comment to trust


def _vint(data: bytes, at: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7
        if shift > 63:
            raise ValueError("vint too long")


def _rar5(handle: BinaryIO) -> bytes:
    read, seek, tell = handle.read, handle.seek, handle.tell
    for _ in range(MAX_HEADERS):
        start = tell()
        prefix = read(4 + 3)
        if len(prefix) < 5:
            return b""
        size, after = _vint(prefix, 4)
        if not 0 < size <= 1 << 20:
            return b""
        seek(start + after)
        header = read(size)
        head_type, at = _vint(header, 0)
        flags, at = _vint(header, at)
        if flags & 1:
            _, at = _vint(header, at)  # extra area size
        data_size = 0
        if flags & 2:
            data_size, at = _vint(header, at)
        if head_type in (_RAR5_FILE, _RAR5_ENCRYPTION):
            return b""
        if head_type == _RAR5_SERVICE:
            file_flags, at = _vint(header, at)
            _, at = _vint(header, at)  # unpacked size
            _, at = _vint(header, at)  # attributes
            at += (4 if file_flags & 2 else 0) + (4 if file_flags & 4 else 0)
            compression, at = _vint(header, at)
            _, at = _vint(header, at)  # host OS
            name_size, at = _vint(header, at)
            name = header[at : at + name_size]
            method = (compression >> 7) & 0x7
            if name == b"CMT" and method == 0 and data_size <= MAX_COMMENT:
                return _exactly(read, data_size)
        seek(start + after + size + data_size)
    return b""
