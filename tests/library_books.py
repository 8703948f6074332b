"""Organized books with real small files on disk, inserted the way the app stores them.

Reusable by any test that needs a library: ``await add_book(rt, "Title", ["Author"])``.
"""

from __future__ import annotations

import hashlib
import io
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from bookshelf.db import books as book_rows
from bookshelf.models import Book, BookFile
from bookshelf.runtime import Runtime

_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def minimal_epub(title: str, author: str, body: str = "") -> bytes:
    """A small valid EPUB 3: stored mimetype first, container, package and one chapter."""
    t, a = escape(title), escape(author)
    opf = f"""<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="uid">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:identifier id="uid">urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, title + author)}</dc:identifier>
<dc:title>{t}</dc:title><dc:creator>{a}</dc:creator><dc:language>en</dc:language>
<meta property="dcterms:modified">2026-01-01T00:00:00Z</meta></metadata>
<manifest><item id="c1" href="c1.xhtml" media-type="application/xhtml+xml"/>
<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/></manifest>
<spine><itemref idref="c1"/></spine></package>"""
    chapter = (
        '<?xml version="1.0" encoding="UTF-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head>'
        f"<title>{t}</title></head><body><h1>{t}</h1><p>{escape(body or 'Once upon a time.')}</p></body></html>"
    )
    nav = (
        '<?xml version="1.0" encoding="UTF-8"?><html xmlns="http://www.w3.org/1999/xhtml" '
        'xmlns:epub="http://www.idpf.org/2007/ops"><head><title>Contents</title></head><body>'
        '<nav epub:type="toc"><ol><li><a href="c1.xhtml">Start</a></li></ol></nav></body></html>'
    )
    container = (
        '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
        '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
        "</rootfiles></container>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml", container, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("OEBPS/content.opf", opf, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("OEBPS/c1.xhtml", chapter, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("OEBPS/nav.xhtml", nav, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def koreader_hash(data: bytes) -> str:
    """KOReader's partial MD5: 1 KiB samples at 256 B and 1 KiB << 2i for i in 0..10."""
    digest = hashlib.md5()
    for i in range(-1, 11):
        offset = 1024 << (2 * i) if i >= 0 else 256
        if offset >= len(data):
            break
        digest.update(data[offset : offset + 1024])
    return digest.hexdigest()


def write_cover(rt: Runtime, color: tuple[int, int, int] = (200, 40, 40)) -> str:
    """A real JPEG cover and its thumbnail in the covers folder; returns its SHA-256."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (60, 90), color).save(out, "JPEG")
    data = out.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    folder = rt.settings.covers_dir / sha[:2]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{sha}.jpg").write_bytes(data)
    thumb = io.BytesIO()
    Image.new("RGB", (20, 30), color).save(thumb, "JPEG")
    (folder / f"{sha}.thumb.jpg").write_bytes(thumb.getvalue())
    return sha


async def add_book(
    rt: Runtime,
    title: str,
    authors: list[str],
    *,
    series: str | None = None,
    series_index: float | None = None,
    description: str | None = None,
    genres: list[str] | None = None,
    language: str | None = "en",
    formats: tuple[str, ...] = ("epub",),
    status: str = "organized",
    cover: bool = False,
    age_days: int = 0,
    file_bytes: bytes | None = None,
) -> Book:
    """Insert one book with a real file per format under the library (or incoming) folder."""
    created = (_EPOCH + timedelta(days=age_days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    book = Book(
        id=str(uuid.uuid4()), status=status, title=title, authors=list(authors), series=series,
        series_index=series_index, description=description, genres=list(genres or []), language=language,
        created_at=created, updated_at=created, organized_at=created if status == "organized" else None,
    )  # fmt: skip
    if cover:
        book.cover_sha256 = write_cover(rt)
    root = "library" if status == "organized" else "incoming"
    base: Path = rt.settings.library_dir if root == "library" else rt.settings.incoming_dir
    safe_title = title.replace("/", "_")
    folder = f"{(authors or ['Unknown'])[0].replace('/', '_')}/{safe_title} [{book.id[:8]}]"
    for fmt in formats:
        data = file_bytes if file_bytes is not None else minimal_epub(title, ", ".join(authors), description or "")
        relative = f"{folder}/{safe_title}.{fmt}"
        (base / folder).mkdir(parents=True, exist_ok=True)
        (base / relative).write_bytes(data)
        book.files.append(
            BookFile(
                id=str(uuid.uuid4()), book_id=book.id, format=fmt, root=root, path=relative,
                filename=f"{', '.join(authors)} - {title}.{fmt}", size=len(data),
                sha256=hashlib.sha256(data).hexdigest(), koreader_hash=koreader_hash(data), page_count=None,
                added_at=created,
            )
        )  # fmt: skip
    async with rt.db.write() as conn:
        await book_rows.insert(conn, book)
        for file in book.files:
            await book_rows.insert_file(conn, file)
    return book
