"""PDF metadata (document info and XMP), page count, and first-page covers via PyMuPDF."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bookshelf.formats.isbn import both_forms, find_isbn, normalise_isbn
from bookshelf.formats.language import to_bcp47
from bookshelf.formats.parsed import FormatError, ParsedBook
from bookshelf.formats.plaintext import clean
from bookshelf.formats.safexml import local, parse_xml

COVER_MAX_HEIGHT = 1200
MAX_RENDER_PIXELS = 40_000_000
_JUNK_TITLE = re.compile(
    r"^(microsoft (word|powerpoint|excel) - .*|untitled(-?\s*\d+)?|document\s*\d*|doc\d*|"
    r"title|unknown|none|null|n/?a|\d+|.*\.(docx?|pdf|tex|dvi|indd|rtf|odt|qxd|ps|pages)|"
    r"slide \d+|book\d*|print|\W*)$",
    re.I,
)
_ISBN_NEAR = re.compile(r"ISBN(?:-1[03])?[:\s]*((?:97[89][-\s]?)?[0-9][-\s0-9]{7,14}[0-9Xx])")
_AUTHOR_SPLIT = re.compile(r"\s*(?:;|&|\band\b)\s*", re.I)


def _fitz() -> Any:
    import pymupdf

    # MuPDF otherwise prints every repair warning of a scruffy PDF to stderr.
    tools: Any = pymupdf.TOOLS  # untyped in pymupdf
    tools.mupdf_display_errors(False)
    tools.mupdf_display_warnings(False)
    return pymupdf


@contextmanager
def open_pdf(path: Path | str) -> Iterator[Any]:
    """An open, unlocked PyMuPDF document; FormatError for damaged or password PDFs."""
    pymupdf = _fitz()
    try:
        doc = pymupdf.open(str(path), filetype="pdf")
    except pymupdf.EmptyFileError as exc:
        raise FormatError("The PDF is empty.", "empty_file") from exc
    except (RuntimeError, ValueError, OSError) as exc:
        raise FormatError(f"The PDF is damaged and cannot be opened ({exc}).", "corrupt") from exc
    try:
        if doc.needs_pass:
            raise FormatError("The PDF is password-protected.", "encrypted")
        if doc.page_count < 1:
            raise FormatError("The PDF has no pages.", "corrupt")
        yield doc
    except RuntimeError as exc:  # MuPDF reports damage lazily, as pages are touched
        raise FormatError(f"The PDF is damaged ({exc}).", "corrupt") from exc
    finally:
        doc.close()


def split_authors(text: str | None) -> list[str]:
    """'A; B', 'A & B', 'A and B', 'A, B, C' -> names; a lone 'Last, First' stays one name."""
    text = clean(text)
    if not text:
        return []
    parts = _AUTHOR_SPLIT.split(text)
    names: list[str] = []
    for part in parts:
        commas = [p.strip() for p in part.split(",") if p.strip()]
        # One comma between short parts is "Le Guin, Ursula K." (a sort form), not two people.
        if len(commas) == 2 and not all(len(p.split()) >= 2 and "." not in p for p in commas):
            names.append(part.strip())
        else:
            names.extend(commas)
    return [n for n in names if n]


def is_junk_title(title: str | None) -> bool:
    return not title or bool(_JUNK_TITLE.match(title.strip()))


def _xmp_values(root: ET.Element, name: str) -> list[str]:
    values: list[str] = []
    for el in root.iter():
        if local(el.tag) == name:
            items = [li for li in el.iter() if local(li.tag) == "li"]
            for node in items or [el]:
                text = clean("".join(node.itertext()))
                if text:
                    values.append(text)
    return values


def _read_xmp(doc: Any) -> dict[str, list[str]]:
    try:
        raw = doc.get_xml_metadata()
    except RuntimeError:
        return {}
    if not raw or not raw.strip():
        return {}
    try:
        root = parse_xml(raw.encode("utf-8"), "PDF XMP metadata", max_bytes=4 * 1024 * 1024)
    except FormatError:
        return {}  # broken XMP is common and the document info usually suffices
    names = ("title", "creator", "subject", "language", "description", "publisher", "date")
    values = {name: _xmp_values(root, name) for name in names}
    values.update(_xmp_calibre(root))
    return values


def _xmp_calibre(root: ET.Element) -> dict[str, list[str]]:
    """calibre's series (calibre:series with rdf:value and calibreSI:series_index) and the ISBN it
    writes as xmp:Identifier (scheme isbn), prism:isbn and pdfx:isbn: PDFs calibre made or edited."""
    out: dict[str, list[str]] = {"series": [], "series_index": [], "isbn": []}
    for el in root.iter():
        name = local(el.tag)
        if name == "series" and el.tag.startswith("{http://calibre-ebook.com/xmp-namespace}"):
            for child in el.iter():
                text = clean(child.text)
                if text and local(child.tag) in ("value", "series_index"):
                    out["series" if local(child.tag) == "value" else "series_index"].append(text)
        elif name == "isbn":
            out["isbn"].append(clean("".join(el.itertext())) or "")
        elif name == "li":
            kids = {local(k.tag): clean(k.text) for k in el}
            if (kids.get("Scheme") or "").lower() == "isbn" and kids.get("value"):
                out["isbn"].append(kids["value"] or "")
    return out


def _series_index(values: list[str] | None) -> float | None:
    try:
        return float(values[0]) if values else None
    except ValueError:
        return None


def _first(values: list[str] | None) -> str | None:
    return values[0] if values else None


def _fill_from_info(book: ParsedBook, info: dict[str, str], xmp: dict[str, list[str]]) -> None:
    titles = [clean(info.get("title")), _first(xmp.get("title"))]
    book.title = next((t for t in titles if t and not is_junk_title(t)), None)
    book.authors = xmp.get("creator") or split_authors(info.get("author"))
    subject = clean(info.get("subject")) or _first(xmp.get("description"))
    book.description = subject
    keywords = [k.strip() for k in re.split(r"[;,]", info.get("keywords") or "") if k.strip()]
    book.genres = list(dict.fromkeys(keywords or xmp.get("subject") or []))
    book.publisher = _first(xmp.get("publisher"))
    dates = [re.match(r"(\d{4})", d) for d in xmp.get("date", [])]
    book.published_year = next((int(m.group(1)) for m in dates if m), None)


def _isbn_from_text(doc: Any, extra: str) -> str | None:
    found = find_isbn(extra) if "isbn" in extra.lower() else None
    # The copyright page sits within the first few pages of almost every book.
    for index in range(min(doc.page_count, 5)):
        if found:
            break
        text = doc[index].get_text("text")
        found = next((find_isbn(m.group(1)) for m in _ISBN_NEAR.finditer(text) if find_isbn(m.group(1))), None)
    return found


def render_pdf_page(
    doc: Any, index: int, max_width: int | None = None, max_height: int | None = None, quality: int = 80
) -> bytes:
    """One page as a JPEG no wider than max_width and no taller than max_height."""
    pymupdf = _fitz()
    page = doc[index]
    rect = page.rect
    if rect.width <= 0 or rect.height <= 0:
        raise FormatError(f"PDF page {index + 1} has no area.", "corrupt")
    zoom = 2.0
    if max_width:
        zoom = min(zoom, max_width / rect.width)
    if max_height:
        zoom = min(zoom, max_height / rect.height)
    zoom = min(zoom, (MAX_RENDER_PIXELS / (rect.width * rect.height)) ** 0.5)
    pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False)
    return bytes(pix.tobytes("jpg", jpg_quality=quality))


def read_pdf(path: Path) -> ParsedBook:
    with open_pdf(path) as doc:
        book = ParsedBook(format="pdf", page_count=doc.page_count)
        info = {k: v for k, v in (doc.metadata or {}).items() if isinstance(v, str)}
        xmp = _read_xmp(doc)
        _fill_from_info(book, info, xmp)
        book.language = to_bcp47(doc.language) or to_bcp47(_first(xmp.get("language")))
        book.series = _first(xmp.get("series"))
        book.series_index = _series_index(xmp.get("series_index")) if book.series else None
        isbn = next((c for c in map(normalise_isbn, xmp.get("isbn", [])) if c), None)
        isbn = isbn or _isbn_from_text(doc, " ".join([info.get("subject", ""), info.get("keywords", "")]))
        if isbn:
            book.isbn10, book.isbn13 = both_forms(isbn)
            book.identifiers["isbn"] = book.isbn13 or isbn
        try:
            book.cover = render_pdf_page(doc, 0, max_width=COVER_MAX_HEIGHT, max_height=COVER_MAX_HEIGHT)
            book.cover_media_type = "image/jpeg"
        except (RuntimeError, ValueError) as exc:
            book.cover = None  # a page MuPDF cannot draw should not hide the metadata
            del exc
        return book
