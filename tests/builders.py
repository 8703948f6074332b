"""Generators of small but real book files (EPUB, PDF, CBZ, CBR, MOBI/AZW3, images) for tests."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from tests.rarbuild import rar4, rar5

# ---------------------------------------------------------------- images


def make_png(w: int = 60, h: int = 90, color: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (w, h), color).save(out, "PNG")
    return out.getvalue()


def make_jpeg(w: int = 60, h: int = 90, color: tuple[int, int, int] = (40, 40, 200), noise: bool = False) -> bytes:
    from PIL import Image

    img = Image.effect_noise((w, h), 80).convert("RGB") if noise else Image.new("RGB", (w, h), color)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def png_header_only(w: int, h: int) -> bytes:
    """A PNG whose IHDR claims w x h pixels but which has no image data (absurd-size tests)."""
    import zlib

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))


# ---------------------------------------------------------------- EPUB

CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles>
    <rootfile full-path="{opf}" media-type="application/oebps-package+xml"/>
  </rootfiles>
</container>
"""

CHAPTER = """<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"{lang}>
<head><title>{title}</title></head>
<body>{img}<h1>{title}</h1>{body}</body>
</html>
"""

NAV = """<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">
<head><title>Contents</title></head>
<body><nav epub:type="toc"><ol><li><a href="chapter1.xhtml">Start</a></li></ol></nav></body>
</html>
"""

NCX = """<?xml version="1.0" encoding="UTF-8"?>
<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1">
  <head><meta name="dtb:uid" content="{uid}"/><meta name="dtb:depth" content="1"/>
  <meta name="dtb:totalPageCount" content="0"/><meta name="dtb:maxPageNumber" content="0"/></head>
  <docTitle><text>{title}</text></docTitle>
  <navMap><navPoint id="n1" playOrder="1"><navLabel><text>Start</text></navLabel>
  <content src="chapter1.xhtml"/></navPoint></navMap>
</ncx>
"""


def _e(text: str) -> str:
    return escape(text)


def _opf_metadata(
    title: str,
    authors: list[str],
    author_sort: str | None,
    series: str | None,
    series_index: float | None,
    isbn: str | None,
    language: str | None,
    publisher: str | None,
    description: str | None,
    subjects: list[str],
    date: str | None,
    v3: bool,
    uid: str,
    cover: bool,
) -> str:
    m = [f'<dc:identifier id="uid">{uid}</dc:identifier>', f"<dc:title>{_e(title)}</dc:title>"]
    for i, name in enumerate(authors):
        sort = author_sort if i == 0 and author_sort else None
        if v3:
            m.append(f'<dc:creator id="cre{i}">{_e(name)}</dc:creator>')
            m.append(f'<meta refines="#cre{i}" property="role" scheme="marc:relators">aut</meta>')
            if sort:
                m.append(f'<meta refines="#cre{i}" property="file-as">{_e(sort)}</meta>')
        else:
            fa = f" opf:file-as={quoteattr(sort)}" if sort else ""
            m.append(f'<dc:creator opf:role="aut"{fa}>{_e(name)}</dc:creator>')
    if series:
        m.append(f'<meta name="calibre:series" content={quoteattr(series)}/>')
        if series_index is not None:
            m.append(f'<meta name="calibre:series_index" content="{series_index}"/>')
    if isbn:
        m.append(
            f"<dc:identifier>urn:isbn:{isbn}</dc:identifier>"
            if v3
            else f'<dc:identifier opf:scheme="ISBN">{isbn}</dc:identifier>'
        )
    if language:
        m.append(f"<dc:language>{_e(language)}</dc:language>")
    if publisher:
        m.append(f"<dc:publisher>{_e(publisher)}</dc:publisher>")
    if date:
        m.append(f"<dc:date>{date}</dc:date>")
    if description:
        m.append(f"<dc:description>{_e(description)}</dc:description>")
    m.extend(f"<dc:subject>{_e(s)}</dc:subject>" for s in subjects)
    if cover:
        m.append('<meta name="cover" content="cover-img"/>')
    if v3:
        m.append('<meta property="dcterms:modified">2024-01-01T00:00:00Z</meta>')
    return "\n    ".join(m)


def make_epub(
    path: Path,
    title: str = "A Test Book",
    authors: list[str] | None = None,
    series: str | None = None,
    series_index: float | None = None,
    isbn: str | None = None,
    language: str | None = "en",
    publisher: str | None = None,
    description: str | None = None,
    subjects: list[str] | None = None,
    cover: bytes | None = None,
    epub_version: int = 3,
    author_sort: str | None = None,
    date: str | None = None,
    body_bytes: int = 0,
    extra_entries: dict[str, bytes] | None = None,
    opf: str | None = None,
    encryption_xml: str | None = None,
    uid: str = "urn:uuid:12345678-1234-1234-1234-123456789abc",
) -> Path:
    """A valid EPUB 2 or 3 (epubcheck-clean) with the given metadata; ``opf`` replaces the OPF."""
    path = Path(path)
    authors = ["Ann Author"] if authors is None else authors
    v3 = epub_version == 3
    cover_type = "image/png" if cover and cover.startswith(b"\x89PNG") else "image/jpeg"
    cover_href = "cover.png" if cover_type == "image/png" else "cover.jpg"
    meta = _opf_metadata(
        title,
        authors,
        author_sort,
        series,
        series_index,
        isbn,
        language,
        publisher,
        description,
        subjects or [],
        date,
        v3,
        uid,
        bool(cover),
    )
    manifest = ['<item id="c1" href="chapter1.xhtml" media-type="application/xhtml+xml"/>']
    if v3:
        manifest.append('<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>')
    else:
        manifest.append('<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>')
    if cover:
        props = ' properties="cover-image"' if v3 else ""
        manifest.append(f'<item id="cover-img" href="{cover_href}" media-type="{cover_type}"{props}/>')
    spine_attr = "" if v3 else ' toc="ncx"'
    dc = 'xmlns:dc="http://purl.org/dc/elements/1.1/"'
    opf_ns = "" if v3 else ' xmlns:opf="http://www.idpf.org/2007/opf"'
    lang = language or "en"
    version = "3.0" if v3 else "2.0"
    opf_text = (
        opf
        or f"""<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="{version}" unique-identifier="uid">
  <metadata {dc}{opf_ns}>
    {meta}
  </metadata>
  <manifest>
    {chr(10).join("    " + i for i in manifest).strip()}
  </manifest>
  <spine{spine_attr}>
    <itemref idref="c1"/>
  </spine>
</package>
"""
    )
    body = "<p>" + ("Lorem ipsum dolor sit amet. " * (body_bytes // 28 + 1))[: max(body_bytes, 10)]
    body += "</p>"
    img = f'<img src="{cover_href}" alt="cover"/>' if cover else ""
    chapter = CHAPTER.format(
        title=_e(title), body=body, img="" if cover else img, lang=f' xml:lang="{lang}"' if lang else ""
    )
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")
        zf.writestr("META-INF/container.xml", CONTAINER.format(opf="OEBPS/content.opf"), zipfile.ZIP_DEFLATED)
        if encryption_xml:
            zf.writestr("META-INF/encryption.xml", encryption_xml, zipfile.ZIP_DEFLATED)
        zf.writestr("OEBPS/content.opf", opf_text, zipfile.ZIP_DEFLATED)
        zf.writestr("OEBPS/chapter1.xhtml", chapter, zipfile.ZIP_DEFLATED)
        if v3:
            zf.writestr("OEBPS/nav.xhtml", NAV, zipfile.ZIP_DEFLATED)
        else:
            zf.writestr("OEBPS/toc.ncx", NCX.format(uid=uid, title=_e(title)), zipfile.ZIP_DEFLATED)
        if cover:
            zf.writestr(f"OEBPS/{cover_href}", cover, zipfile.ZIP_STORED)
        for name, data in (extra_entries or {}).items():
            zf.writestr(name, data, zipfile.ZIP_DEFLATED)
    return path


# ---------------------------------------------------------------- PDF


def make_pdf(
    path: Path,
    title: str | None = "A Test PDF",
    author: str | None = "Ann Author",
    pages: int = 3,
    subject: str | None = None,
    keywords: str | None = None,
    text: str | None = None,
    password: str | None = None,
    language: str | None = None,
) -> Path:
    import pymupdf

    doc = pymupdf.open()
    for i in range(pages):
        page = doc.new_page(width=300, height=450)
        page.insert_text((30, 60), text if text and i == 0 else f"Page {i + 1}", fontsize=14)
    meta = {
        k: v
        for k, v in {"title": title, "author": author, "subject": subject, "keywords": keywords}.items()
        if v is not None
    }
    doc.set_metadata(meta)
    if language:
        doc.set_language(language)
    kwargs = {}
    if password:
        kwargs = {"encryption": pymupdf.PDF_ENCRYPT_AES_256, "user_pw": password, "owner_pw": password + "-owner"}
    doc.save(str(path), **kwargs)
    doc.close()
    return Path(path)


# ---------------------------------------------------------------- comics


def comicinfo_xml(fields: dict[str, object]) -> bytes:
    body = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in fields.items())
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<ComicInfo '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"{body}</ComicInfo>"
    ).encode()


def comic_entries(
    pages: int, comicinfo: dict[str, object] | None, page_size: tuple[int, int] = (40, 60)
) -> list[tuple[str, bytes]]:
    """Pages named page1..pageN (natural order differs from plain sorting past 9)."""
    entries = [
        (
            f"page{i + 1}.jpg" if i else "page1.png",
            make_png(*page_size) if i == 0 else make_jpeg(*page_size, color=(i * 20 % 255, 90, 90)),
        )
        for i in range(pages)
    ]
    entries.reverse()  # archive order must not matter
    if comicinfo is not None:
        entries.append(("ComicInfo.xml", comicinfo_xml(comicinfo)))
    return entries


def comet_xml(fields: dict[str, object]) -> bytes:
    """A CoMet document; a list value repeats its element (several writers, genres ...)."""
    body = "".join(
        f"<{k}>{escape(str(v))}</{k}>" for k, values in fields.items() for v in (values if isinstance(values, list)
                                                                             else [values])
    )  # fmt: skip
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<comet xmlns="http://www.denvog.com/comet/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"{body}</comet>"
    ).encode()


def comicbookinfo_comment(fields: dict[str, object]) -> bytes:
    """ComicBookInfo as comic taggers write it into an archive comment."""
    document = {"appID": "ComicTagger/1.3.5", "lastModified": "2024-03-01 10:00:00", "ComicBookInfo/1.0": fields}
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def _with_sidecars(entries: list[tuple[str, bytes]], comet: dict[str, object] | None) -> list[tuple[str, bytes]]:
    return [*entries, ("CoMet.xml", comet_xml(comet))] if comet is not None else entries


def make_cbz(
    path: Path, pages: int = 3, comicinfo: dict[str, object] | None = None, page_size: tuple[int, int] = (40, 60),
    comet: dict[str, object] | None = None, comment: bytes | None = None,
) -> Path:  # fmt: skip
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in _with_sidecars(comic_entries(pages, comicinfo, page_size), comet):
            zf.writestr(name, data)
        if comment is not None:
            zf.comment = comment
    return Path(path)


def make_cbr(
    path: Path, pages: int = 3, comicinfo: dict[str, object] | None = None, rar_version: int = 5,
    comet: dict[str, object] | None = None, comment: bytes | None = None,
) -> Path:  # fmt: skip
    """A stored-entry RAR4 or RAR5 comic, hand-assembled (see tests/rarbuild.py)."""
    entries = _with_sidecars(comic_entries(pages, comicinfo), comet)
    Path(path).write_bytes(rar5(entries, comment) if rar_version == 5 else rar4(entries, comment))
    return Path(path)


# ---------------------------------------------------------------- MOBI / AZW3


def _exth(records: list[tuple[int, bytes]]) -> bytes:
    body = b"".join(struct.pack(">II", k, len(v) + 8) + v for k, v in records)
    data = b"EXTH" + struct.pack(">II", 12 + len(body), len(records)) + body
    return data + b"\x00" * (-len(data) % 4)


def make_mobi(
    path: Path,
    title: str = "A Test Mobi",
    authors: list[str] | None = None,
    publisher: str | None = None,
    description: str | None = None,
    isbn: str | None = None,
    subjects: list[str] | None = None,
    date: str | None = None,
    asin: str | None = None,
    language: str | None = "en",
    cover: bytes | None = None,
    kf8: bool = False,
    joint: bool = False,
    drm: bool = False,
    updated_title: str | None = None,
) -> Path:
    """PalmDB + MOBI header + EXTH, one text record and an optional cover image record.

    ``kf8`` writes a pure KF8 (AZW3) header (version 8); ``joint`` a MOBI 6 header whose
    EXTH 121 points at a KF8 section, as kindlegen's combined files do.
    """
    authors = ["Ann Author"] if authors is None else authors
    exth: list[tuple[int, bytes]] = [(100, a.encode()) for a in authors]
    for key, value in (
        (101, publisher),
        (103, description),
        (104, isbn),
        (106, date),
        (113, asin),
        (524, language),
        (503, updated_title),
    ):
        if value:
            exth.append((key, value.encode()))
    exth += [(105, s.encode()) for s in subjects or []]
    text = b"<html><body><p>Hello from a test MOBI.</p></body></html>"
    records = [b"", text]
    first_image = len(records) if cover else 0xFFFFFFFF
    if cover:
        records.append(cover)
        exth.append((201, struct.pack(">I", 0)))
    if joint:
        records += [b"BOUNDARY", b""]
        exth.append((121, struct.pack(">I", len(records) - 1)))
    exth_data = _exth(exth)
    name = title.encode("utf-8")
    header_len = 232
    mobi = bytearray(header_len)
    mobi[0:4] = b"MOBI"
    struct.pack_into(">IIIII", mobi, 4, header_len, 2, 65001, 1234, 8 if kf8 else 6)
    full_name_offset = 16 + header_len + len(exth_data)
    struct.pack_into(">III", mobi, 0x54 - 16, full_name_offset, len(name), 9)
    struct.pack_into(">I", mobi, 0x6C - 16, first_image)
    struct.pack_into(">I", mobi, 0x80 - 16, 0x40)
    palmdoc = struct.pack(">HHIHHHH", 1, 0, len(text), 1, 4096, 2 if drm else 0, 0)
    rec0 = palmdoc + bytes(mobi) + exth_data + name + b"\x00\x00"
    records[0] = rec0 + b"\x00" * (-len(rec0) % 4)
    if joint:  # the KF8 part starts with its own record 0 (version 8)
        records[-1] = records[0]
    offset = 78 + 8 * len(records) + 2
    table = b""
    for i, rec in enumerate(records):
        table += struct.pack(">II", offset, i * 2)
        offset += len(rec)
    header = (
        title.encode("ascii", "replace")[:31].ljust(32, b"\x00")
        + struct.pack(">HHIIIIII", 0, 0, 0, 0, 0, 0, 0, 0)
        + b"BOOKMOBI"
        + struct.pack(">IIH", 0, 0, len(records))
    )
    Path(path).write_bytes(header + table + b"\x00\x00" + b"".join(records))
    return Path(path)
