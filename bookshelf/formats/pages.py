"""Page counts and single-page images for streaming comics and PDFs (OPDS page streaming)."""

from __future__ import annotations

from pathlib import Path

from bookshelf.formats.comic import comic_pages, read_page
from bookshelf.formats.covers import scale_to_width
from bookshelf.formats.parsed import FormatError


def page_count(path: Path | str, fmt: str) -> int | None:
    """Number of pages for formats with fixed pages; None for reflowable ones."""
    if fmt in ("cbz", "cbr"):
        return len(comic_pages(path, fmt))
    if fmt == "pdf":
        from bookshelf.formats.pdf import open_pdf

        with open_pdf(path) as doc:
            return int(doc.page_count)
    return None


def render_page(path: Path | str, fmt: str, index: int,
                max_width: int | None = None) -> tuple[bytes, str]:
    """Page ``index`` (0-based) as image bytes and media type, no wider than max_width."""
    if fmt in ("cbz", "cbr"):
        data, _ = read_page(path, fmt, index)
        return scale_to_width(data, max_width)
    if fmt == "pdf":
        from bookshelf.formats.pdf import open_pdf, render_pdf_page

        with open_pdf(path) as doc:
            if not 0 <= index < doc.page_count:
                raise FormatError(f"The PDF has {doc.page_count} pages; page {index + 1} does "
                                  "not exist.", "no_such_page")
            return render_pdf_page(doc, index, max_width=max_width), "image/jpeg"
    raise FormatError(f"{fmt.upper()} books have no fixed pages to render.", "unsupported_format")
