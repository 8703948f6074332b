"""OPDS test helpers: organized books with real files on disk, and checks every feed must pass."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from lxml import etree

from bookshelf import clock
from bookshelf.db import books as book_rows
from bookshelf.formats.koreader_hash import koreader_partial_md5
from bookshelf.models import Book, BookFile
from bookshelf.runtime import Runtime
from bookshelf.web.app import create_app
from tests.builders import make_cbr, make_cbz, make_epub, make_jpeg, make_pdf, make_png
from tests.conftest import make_settings
from tests.strict import SHARED, shared_path

ATOM = "http://www.w3.org/2005/Atom"
PSE_REL = "http://vaemendis.net/opds-pse/stream"
NS = {"a": ATOM, "dc": "http://purl.org/dc/terms/", "os": "http://a9.com/-/spec/opensearch/1.1/"}
NAVIGATION = "application/atom+xml;profile=opds-catalog;kind=navigation"
ACQUISITION = "application/atom+xml;profile=opds-catalog;kind=acquisition"
ENTRY = "application/atom+xml;type=entry;profile=opds-catalog"
BOOK_TYPES = {
    "epub": "application/epub+zip",
    "pdf": "application/pdf",
    "cbz": "application/vnd.comicbook+zip",
    "cbr": "application/vnd.comicbook-rar",
}
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif")
NAV_RELS = (
    None,
    "subsection",
    "http://opds-spec.org/subsection",
    "http://opds-spec.org/crawlable",
    "http://opds-spec.org/sort/new",
    "http://opds-spec.org/sort/popular",
)
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
SCHEMA = SHARED / "opds-schema" / "opds-fixed.rng"
USER, PASSWORD = "reader", "pässword & <more>"


@dataclass
class Made:
    book: Book
    paths: dict[str, Path] = field(default_factory=dict)  # file id -> path on disk


_counter = iter(range(10**9))


def write_file(directory: Path, fmt: str, title: str, pages: int = 3) -> Path:
    path = directory / f"{uuid.uuid4().hex}.{fmt}"
    if fmt == "epub":
        make_epub(path, title=title)
    elif fmt == "pdf":
        make_pdf(path, title=title, pages=pages)
    elif fmt == "cbz":
        make_cbz(path, pages=pages, page_size=(600, 900))
    elif fmt == "cbr":
        make_cbr(path, pages=pages)
    else:
        raise ValueError(fmt)
    return path


def store_cover(rt: Runtime, data: bytes, thumb: bytes | None = None) -> str:
    sha = hashlib.sha256(data).hexdigest()
    folder = rt.settings.covers_dir / sha[:2]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{sha}.jpg").write_bytes(data)  # bookshelf names covers .jpg whatever the bytes are
    if thumb is not None:
        (folder / f"{sha}.thumb.jpg").write_bytes(thumb)
    return sha


async def add_book(
    rt: Runtime,
    title: str,
    authors: list[str] | None = None,
    formats: tuple[str, ...] = ("epub",),
    status: str = "organized",
    cover: bytes | None = None,
    thumb: bool = True,
    pages: int = 3,
    **fields: object,
) -> Made:
    """A book row with real files under the library folder (its status organized unless told)."""
    n = next(_counter)
    now = clock.now_iso()
    organized_at = fields.pop("organized_at", f"2024-01-01T00:{n // 60 % 60:02d}:{n % 60:02d}Z")
    book = Book(
        id=str(uuid.uuid4()),
        status=status,
        title=title,
        authors=["Ann Author"] if authors is None else authors,
        created_at=now,
        updated_at=now,
        organized_at=organized_at if status == "organized" else None,
        **fields,  # type: ignore[arg-type]
    )
    if cover is not None:
        book.cover_sha256 = store_cover(rt, cover, make_jpeg(30, 45) if thumb else None)
    made = Made(book)
    folder = rt.settings.library_dir / book.id[:2]
    folder.mkdir(parents=True, exist_ok=True)
    async with rt.db.write() as conn:
        await book_rows.insert(conn, book)
        for fmt in formats:
            path = write_file(folder, fmt, title, pages)
            data = path.read_bytes()
            file = BookFile(
                id=str(uuid.uuid4()),
                book_id=book.id,
                format=fmt,
                root="library",
                path=str(path.relative_to(rt.settings.library_dir)),
                filename=f"{(book.authors or ['Unknown'])[0]} - {title}.{fmt}",
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                koreader_hash=koreader_partial_md5(path),
                page_count=pages if fmt in ("pdf", "cbz", "cbr") else None,
                added_at=now,
            )
            await book_rows.insert_file(conn, file)
            book.files.append(file)
            made.paths[file.id] = path
    return made


def cover_bytes(kind: str = "png") -> bytes:
    return make_png(60, 90) if kind == "png" else make_jpeg(60, 90)


# -- checks -------------------------------------------------------------------------------------


def parse(body: bytes) -> etree._Element:
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>'), body[:60]
    assert b"<!DOCTYPE" not in body and not body.startswith(b"\xef\xbb\xbf")
    return etree.fromstring(body)


def links(node: etree._Element, rel: str | None = "*") -> list[etree._Element]:
    found = node.findall("a:link", NS)
    return found if rel == "*" else [link for link in found if link.get("rel") == rel]


def link_href(node: etree._Element, rel: str) -> str | None:
    found = links(node, rel)
    return found[0].get("href") if found else None


def check_document(body: bytes) -> etree._Element:
    """Every rule of OPDS.md a client relies on, checked structurally; returns the parsed root."""
    root = parse(body)
    assert root.tag in (f"{{{ATOM}}}feed", f"{{{ATOM}}}entry")
    assert root.prefix is None, "Atom must be the default namespace"
    for element in root.iter(f"{{{ATOM}}}*"):
        assert element.prefix is None, f"prefixed Atom element {element.tag}"
    for name in ("id", "title", "updated"):
        assert len(root.findall(f"a:{name}", NS)) == 1, name
    assert root.findtext("a:id", namespaces=NS).strip()
    for updated in root.iter(f"{{{ATOM}}}updated", f"{{{ATOM}}}published"):
        assert RFC3339.match(updated.text or ""), updated.text
    for link in root.iter(f"{{{ATOM}}}link"):
        assert link.get("href") and link.get("type"), etree.tostring(link)
    entries = root.findall("a:entry", NS) if root.tag.endswith("feed") else [root]
    if root.tag.endswith("feed"):
        assert root.findtext("a:author/a:name", namespaces=NS), "a feed needs an author"
        for rel in ("self", "start", "search"):
            assert links(root, rel), f"feed without rel={rel}"
        assert links(root, "search")[0].get("type") == "application/opensearchdescription+xml"
        assert links(root, "start")[0].get("type") == NAVIGATION
        self_type = links(root, "self")[0].get("type")
        ids = [e.findtext("a:id", namespaces=NS) for e in entries]
        assert len(ids) == len(set(ids)), "entry ids repeat within a feed"
        if self_type == NAVIGATION:
            for entry in entries:
                check_navigation_entry(entry)
        else:
            assert self_type == ACQUISITION, self_type
            for entry in entries:
                check_book_entry(entry, complete=False)
    else:
        check_book_entry(root, complete=True)
    return root


def check_navigation_entry(entry: etree._Element) -> None:
    assert entry.find("a:content", NS) is not None and entry.find("a:content", NS).get("type") == "text"
    for link in links(entry):
        assert not (link.get("rel") or "").startswith("http://opds-spec.org/acquisition")
        assert link.get("rel") in NAV_RELS and "application/atom+xml" in link.get("type")
        assert "kind=" in link.get("type")


def check_book_entry(entry: etree._Element, complete: bool) -> None:
    for name in ("id", "title", "updated"):
        assert len(entry.findall(f"a:{name}", NS)) == 1, name
    assert entry.findtext("a:id", namespaces=NS).startswith("urn:uuid:")
    assert entry.find("{http://purl.org/dc/terms/}title") is None
    summary = entry.find("a:summary", NS)
    if summary is not None:
        assert summary.get("type") in (None, "text") and len(summary) == 0
    own = links(entry, "self" if complete else "alternate")
    assert own and own[0].get("type") == ENTRY
    # RFC 4287 4.1.2: an entry that stands alone names an author, and has content or an alternate.
    assert [a.findtext("a:name", namespaces=NS) for a in entry.findall("a:author", NS)], "an entry needs an author"
    assert all((a.findtext("a:name", namespaces=NS) or "").strip() for a in entry.findall("a:author", NS))
    assert entry.find("a:content", NS) is not None or links(entry, "alternate"), "no content and no alternate"
    acquisitions = [link for link in links(entry) if link.get("rel") == "http://opds-spec.org/acquisition"]
    assert acquisitions, "an entry needs an acquisition link"
    for link in acquisitions:
        assert link.get("type") in BOOK_TYPES.values(), link.get("type")
        assert ";" not in link.get("type") and int(link.get("length")) > 0
    for rel in ("http://opds-spec.org/image", "http://opds-spec.org/image/thumbnail"):
        for link in links(entry, rel):
            assert link.get("type") in IMAGE_TYPES
    for link in links(entry, PSE_REL):
        assert "{pageNumber}" in link.get("href") and int(link.get("{http://vaemendis.net/opds-pse/ns}count")) > 0


def relaxng_valid(body: bytes) -> None:
    """Validate against opds-fixed.rng (skips without ../shared, fails in strict mode).

    Page-streaming links carry the literal ``{pageNumber}``/``{maxWidth}`` placeholders that
    PSE clients substitute; the schema rejects braces in any href, so only those hrefs are
    percent-encoded in the copy that is validated.
    """
    schema_path = shared_path("opds-schema", "opds-fixed.rng")
    schema = _schema(schema_path)
    root = etree.fromstring(body)
    for link in root.iter(f"{{{ATOM}}}link"):
        if link.get("rel") == PSE_REL:
            link.set("href", link.get("href").replace("{", "%7B").replace("}", "%7D"))
    if not schema.validate(root):
        raise AssertionError(str(schema.error_log))


_schemas: dict[Path, etree.RelaxNG] = {}


def _schema(path: Path) -> etree.RelaxNG:
    if path not in _schemas:
        _schemas[path] = etree.RelaxNG(etree.parse(str(path)))
    return _schemas[path]


def assert_feed(body: bytes) -> etree._Element:
    """Structural checks always; the RELAX NG schema too wherever ../shared is present."""
    root = check_document(body)
    if SCHEMA.exists():
        relaxng_valid(body)
    return root


@asynccontextmanager
async def app_client(root: Path, **overrides: object) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    """A runtime and client of its own, for tests that need other settings than the fixtures'."""
    settings = make_settings(root, **overrides)
    rt = await Runtime.open(settings, background=False)
    try:
        transport = httpx.ASGITransport(app=create_app(settings, rt), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield rt, http
    finally:
        await rt.close()


async def library_of(rt: Runtime, count: int = 120) -> list[Made]:
    """A varied library: 13 authors, genres, two series, EPUB/PDF/CBZ files, some covers."""
    made = []
    for i in range(count):
        formats = ("epub",) if i % 10 else ("epub", "pdf") if i % 20 else ("cbz",)
        made.append(
            await add_book(
                rt,
                f"Book {i:03d} of the shelf",
                [f"Author {i % 13:02d}"] + (["Second Writer"] if i % 17 == 0 else []),
                formats=formats,
                cover=cover_bytes("png" if i % 2 else "jpeg") if i % 3 == 0 else None,
                thumb=i % 6 == 0,
                genres=[f"Genre {i % 5}"],
                series="Long Series" if i % 4 == 0 else None,
                series_index=float(i // 4) if i % 4 == 0 else None,
                description=f"Description of book {i}.",
            )
        )
    return made
