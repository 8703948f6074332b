"""A minimal zip writer that copies entries from another zip raw, without recompressing them."""

from __future__ import annotations

import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from bookshelf.formats.parsed import FormatError

_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
_END = struct.Struct("<4sHHHHIIH")
_UTF8 = 0x800
_LIMIT = 0xFFFFFFFF


@dataclass
class _Written:
    name: bytes
    flags: int
    method: int
    dostime: int
    dosdate: int
    crc: int
    csize: int
    usize: int
    external: int
    offset: int


class RawZipWriter:
    """Writes entries sequentially; sizes are always known, so no data descriptors are used."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.entries: list[_Written] = []

    def _header(self, name: str, flags: int, method: int, date_time: tuple[int, ...], crc: int,
                csize: int, usize: int, external: int) -> None:
        if csize >= _LIMIT or usize >= _LIMIT or len(self.entries) >= 0xFFFF:
            raise FormatError("The EPUB is too large to rewrite (zip64 is not supported).",
                              "too_large")
        raw = name.encode("utf-8")
        flags = (flags & ~0x8) | (_UTF8 if not name.isascii() else 0)  # sizes known up front
        y, mo, d, h, mi, s = date_time[:6]
        dosdate = max(0, y - 1980) << 9 | mo << 5 | d
        dostime = h << 11 | mi << 5 | s // 2
        offset = self.out.tell()
        self.out.write(_LOCAL.pack(b"PK\x03\x04", 20, flags, method, dostime, dosdate, crc,
                                   csize, usize, len(raw), 0) + raw)
        self.entries.append(_Written(raw, flags, method, dostime, dosdate, crc, csize, usize,
                                     external, offset))

    def copy_raw(self, src: BinaryIO, info: zipfile.ZipInfo) -> None:
        """Copy ``info``'s compressed bytes from ``src`` (the zip it came from) unchanged."""
        src.seek(info.header_offset)
        head = src.read(_LOCAL.size)
        if len(head) < _LOCAL.size or head[:4] != b"PK\x03\x04":
            raise FormatError(f"The EPUB entry {info.filename!r} has a damaged local header.",
                              "corrupt")
        fields = _LOCAL.unpack(head)
        src.seek(info.header_offset + _LOCAL.size + fields[9] + fields[10])
        self._header(info.filename, info.flag_bits, info.compress_type, info.date_time,
                     info.CRC, info.compress_size, info.file_size, info.external_attr)
        remaining = info.compress_size
        while remaining:
            chunk = src.read(min(remaining, 1024 * 1024))
            if not chunk:
                raise FormatError(f"The EPUB entry {info.filename!r} is truncated.", "truncated")
            self.out.write(chunk)
            remaining -= len(chunk)

    def write(self, name: str, data: bytes, compress: bool = True,
              date_time: tuple[int, ...] = (1980, 1, 1, 0, 0, 0)) -> None:
        if compress:
            packer = zlib.compressobj(6, zlib.DEFLATED, -15)
            body = packer.compress(data) + packer.flush()
            method = zipfile.ZIP_DEFLATED
        else:
            body, method = data, zipfile.ZIP_STORED
        self._header(name, 0, method, date_time, zlib.crc32(data), len(body), len(data),
                     0o100644 << 16)
        self.out.write(body)

    def close(self) -> None:
        start = self.out.tell()
        for e in self.entries:
            self.out.write(_CENTRAL.pack(b"PK\x01\x02", 20 | 3 << 8, 20, e.flags, e.method,
                                         e.dostime, e.dosdate, e.crc, e.csize, e.usize,
                                         len(e.name), 0, 0, 0, 0, e.external, e.offset) + e.name)
        size = self.out.tell() - start
        count = len(self.entries)
        self.out.write(_END.pack(b"PK\x05\x06", 0, 0, count, count, size, start, 0))
