"""MOBI and AZW3 (KF8) metadata and covers from the PalmDB, MOBI and EXTH headers."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from bookshelf.formats.covers import checked_cover, sniff_image_type
from bookshelf.formats.isbn import both_forms, normalise_isbn
from bookshelf.formats.language import to_bcp47
from bookshelf.formats.parsed import FormatError, ParsedBook
from bookshelf.formats.plaintext import clean, html_to_text

MAX_RECORD = 16 * 1024 * 1024
NO_INDEX = 0xFFFFFFFF
# Windows LCID primary language ids, as MOBI stores them in the header's locale field.
_LCID = {9: "en", 12: "fr", 7: "de", 10: "es", 16: "it", 22: "pt", 19: "nl", 25: "ru", 17: "ja",
         4: "zh", 18: "ko", 1: "ar", 13: "he", 21: "pl", 29: "sv", 20: "no", 6: "da", 11: "fi",
         14: "hu", 5: "cs", 31: "tr", 8: "el", 34: "uk", 2: "bg", 24: "ro", 26: "hr"}


@dataclass
class MobiHeader:
    records: list[int]  # absolute offsets of every PalmDB record
    file_size: int
    palm_name: str
    version: int = 0
    encoding: str = "cp1252"
    encryption: int = 0
    locale: int = 0
    first_image: int = NO_INDEX
    full_name: str | None = None
    exth: dict[int, list[bytes]] = field(default_factory=dict)

    def text(self, key: int) -> list[str]:
        return [v.decode(self.encoding, errors="replace").strip("\x00 ") for v in
                self.exth.get(key, [])]

    def number(self, key: int) -> int | None:
        values = self.exth.get(key)
        return struct.unpack(">I", values[0][:4])[0] if values and len(values[0]) >= 4 else None


def _read_record(fh: BinaryIO, head: MobiHeader, index: int) -> bytes:
    if not 0 <= index < len(head.records):
        raise FormatError(f"The MOBI file refers to record {index}, which does not exist.",
                          "corrupt")
    start = head.records[index]
    end = head.records[index + 1] if index + 1 < len(head.records) else head.file_size
    if end < start or end - start > MAX_RECORD:
        raise FormatError(f"MOBI record {index} has an impossible size.", "corrupt")
    fh.seek(start)
    return fh.read(end - start)


def _palmdb(fh: BinaryIO, size: int) -> MobiHeader:
    head = fh.read(78)
    if len(head) < 78:
        raise FormatError("The MOBI file is truncated inside its PalmDB header.", "truncated")
    count = struct.unpack(">H", head[76:78])[0]
    table = fh.read(8 * count)
    if count == 0 or len(table) < 8 * count:
        raise FormatError("The MOBI file is truncated inside its record table.", "truncated")
    offsets = [struct.unpack(">I", table[i * 8:i * 8 + 4])[0] for i in range(count)]
    if any(b < a for a, b in zip(offsets, offsets[1:], strict=False)) or offsets[-1] > size:
        raise FormatError("The MOBI record table points outside the file.", "truncated")
    name = head[:32].split(b"\x00", 1)[0].decode("cp1252", errors="replace")
    return MobiHeader(records=offsets, file_size=size, palm_name=name)


def _parse_exth(data: bytes, start: int) -> dict[int, list[bytes]]:
    if data[start:start + 4] != b"EXTH" or len(data) < start + 12:
        return {}
    count = struct.unpack(">I", data[start + 8:start + 12])[0]
    pos, exth = start + 12, {}  # type: tuple[int, dict[int, list[bytes]]]
    for _ in range(min(count, 10_000)):
        if pos + 8 > len(data):
            break
        kind, length = struct.unpack(">II", data[pos:pos + 8])
        if length < 8 or pos + length > len(data):
            break
        exth.setdefault(kind, []).append(data[pos + 8:pos + length])
        pos += length
    return exth


def _mobi_header(head: MobiHeader, rec0: bytes) -> None:
    if len(rec0) < 16:
        raise FormatError("The MOBI file's first record is truncated.", "truncated")
    head.encryption = struct.unpack(">H", rec0[12:14])[0]
    if rec0[16:20] != b"MOBI" or len(rec0) < 132:
        return  # plain PalmDOC: only the PalmDB name is known
    length, _, encoding, _, version = struct.unpack(">IIIII", rec0[20:40])
    head.encoding = "utf-8" if encoding == 65001 else "cp1252"
    head.version = version
    name_off, name_len, head.locale = struct.unpack(">III", rec0[84:96])
    head.first_image = struct.unpack(">I", rec0[108:112])[0]
    if name_off + name_len <= len(rec0):
        head.full_name = rec0[name_off:name_off + name_len].decode(head.encoding, "replace")
    if struct.unpack(">I", rec0[128:132])[0] & 0x40:
        head.exth = _parse_exth(rec0, 16 + length)


def read_header(fh: BinaryIO, size: int) -> MobiHeader:
    head = _palmdb(fh, size)
    _mobi_header(head, _read_record(fh, head, 0))
    return head


def _open_header(path: Path) -> tuple[BinaryIO, MobiHeader]:
    fh = open(path, "rb")
    try:
        size = fh.seek(0, 2)
        fh.seek(0)
        return fh, read_header(fh, size)
    except (struct.error, OSError, UnicodeError) as exc:
        fh.close()
        raise FormatError(f"The MOBI headers are damaged ({exc}).", "corrupt") from exc
    except BaseException:
        fh.close()
        raise


def kind_of(head: MobiHeader) -> str:
    """'azw3' for KF8, pure or joint with a MOBI 6 part; 'mobi' for the old format alone."""
    boundary = head.number(121)
    if head.version >= 8 or (boundary is not None and boundary != NO_INDEX):
        return "azw3"
    return "mobi"


def sniff_mobi_kind(path: Path | str) -> str:
    fh, head = _open_header(Path(path))
    fh.close()
    return kind_of(head)


def _cover(fh: BinaryIO, head: MobiHeader) -> tuple[bytes, str] | None:
    if head.first_image == NO_INDEX:
        return None
    indexes = [head.first_image + off for key in (201, 202)
               if (off := head.number(key)) is not None and off != NO_INDEX]
    indexes.append(head.first_image)
    for index in indexes:
        if index < len(head.records):
            data = _read_record(fh, head, index)
            if sniff_image_type(data) and (cover := checked_cover(data)):
                return cover
    return None


def _first(values: list[str]) -> str | None:
    return values[0] if values else None


def _fill(book: ParsedBook, head: MobiHeader) -> None:
    book.title = clean(_first(head.text(503)) or head.full_name or head.palm_name)
    for value in head.text(100):
        for name in re.split(r"\s*(?:;|&)\s*", value):
            if clean(name) and clean(name) not in book.authors:
                book.authors.append(clean(name) or "")
    book.publisher = clean(_first(head.text(101)))
    book.description = html_to_text(_first(head.text(103)))
    book.genres = list(dict.fromkeys(g for v in head.text(105) if (g := clean(v))))
    years = [re.match(r"\s*(\d{4})", v) for v in head.text(106)]
    book.published_year = next((int(m.group(1)) for m in years if m), None)
    book.language = next((lang for v in head.text(524) if (lang := to_bcp47(v))), None)
    book.language = book.language or _LCID.get(head.locale & 0x3FF)
    isbn = next((i for v in head.text(104) if (i := normalise_isbn(v))), None)
    if isbn:
        book.isbn10, book.isbn13 = both_forms(isbn)
        book.identifiers["isbn"] = book.isbn13 or isbn
    asin = next((a for v in head.text(113) + head.text(504) if (a := clean(v))), None)
    if asin:
        book.identifiers["asin"] = asin


def read_mobi(path: Path) -> ParsedBook:
    fh, head = _open_header(path)
    with fh:
        if head.encryption:
            raise FormatError("The MOBI book is DRM-protected.", "drm")
        book = ParsedBook(format=kind_of(head))
        _fill(book, head)
        cover = _cover(fh, head)
        if cover:
            book.cover, book.cover_media_type = cover
        return book
