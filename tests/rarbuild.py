"""Hand-made RAR4 and RAR5 archives with stored (uncompressed) entries, for CBR tests.

No free RAR writer exists, but both formats are documented (RARLAB's technote.txt for
RAR 4.x and "RAR 5.0 archive format" for RAR5) and stored entries are just headers with
CRC32s followed by the raw bytes, so we write them directly.
"""

from __future__ import annotations

import struct
import zlib

RAR4_MARK = b"Rar!\x1a\x07\x00"
RAR5_MARK = b"Rar!\x1a\x07\x01\x00"
_DOS_TIME = (2024 - 1980) << 25 | 1 << 21 | 1 << 16  # 2024-01-01 00:00


def _rar4_block(head_type: int, flags: int, body: bytes) -> bytes:
    size = 7 + len(body)
    rest = struct.pack("<BHH", head_type, flags, size) + body
    return struct.pack("<H", zlib.crc32(rest) & 0xFFFF) + rest


def _rar4_file_body(name: bytes, data: bytes) -> bytes:
    head = struct.pack("<IIBIIBBHI", len(data), len(data), 3, zlib.crc32(data), _DOS_TIME, 20, 0x30, len(name),
                       0o100644)  # fmt: skip
    return head + name


def rar4(entries: list[tuple[str, bytes]], comment: bytes | None = None) -> bytes:
    """``comment`` is stored as RAR 3's archive comment, a CMT sub-block right after the main header."""
    out = [RAR4_MARK, _rar4_block(0x73, 0, b"\x00" * 6)]
    if comment is not None:
        out.append(_rar4_block(0x7A, 0x8000, _rar4_file_body(b"CMT", comment)) + comment)
    for name, data in entries:
        out.append(_rar4_block(0x74, 0x8000, _rar4_file_body(name.encode("utf-8"), data)) + data)
    out.append(_rar4_block(0x7B, 0x4000, b""))
    return b"".join(out)


def _vint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _rar5_block(fields: bytes) -> bytes:
    """fields starts at 'header type'; prepend size and CRC as RAR5 requires."""
    sized = _vint(len(fields)) + fields
    return struct.pack("<I", zlib.crc32(sized)) + sized


def _rar5_entry(head_type: int, raw: bytes, data: bytes) -> bytes:
    fields = (
        _vint(head_type)
        + _vint(0x2)
        + _vint(len(data))  # type file (2) or service (3), has data area
        + _vint(0x4)
        + _vint(len(data))
        + _vint(0o100644)  # CRC present, size, mode
        + struct.pack("<I", zlib.crc32(data))
        + _vint(0)
        + _vint(1)
        + _vint(len(raw))
        + raw
    )  # stored, unix, name
    return _rar5_block(fields) + data


def rar5(entries: list[tuple[str, bytes]], comment: bytes | None = None) -> bytes:
    """``comment`` is stored as the archive comment: a CMT service header right after the main header."""
    out = [RAR5_MARK, _rar5_block(_vint(1) + _vint(0) + _vint(0))]
    if comment is not None:
        out.append(_rar5_entry(3, b"CMT", comment))
    for name, data in entries:
        out.append(_rar5_entry(2, name.encode("utf-8"), data))
    out.append(_rar5_block(_vint(5) + _vint(0) + _vint(0)))
    return b"".join(out)
