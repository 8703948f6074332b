"""Book file formats: detection, metadata and cover extraction, hashing, pages and EPUB rewriting.

Pure functions over files: no database, no HTTP. Format libraries are imported lazily so the
server starts fast.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bookshelf.formats.covers import make_thumbnail, normalise_cover, sniff_image_type
from bookshelf.formats.detect import SUPPORTED_FORMATS, detect_format
from bookshelf.formats.epub_writer import write_epub_copy, write_epub_metadata
from bookshelf.formats.filename import parse_filename
from bookshelf.formats.koreader_hash import (
    file_hashes,
    filename_md5,
    koreader_partial_md5,
    sha256_file,
)
from bookshelf.formats.pages import page_count, render_page
from bookshelf.formats.parsed import EpubMetadata, FormatError, ParsedBook
from bookshelf.models import MEDIA_TYPES

__all__ = [
    "MEDIA_TYPES",
    "SUPPORTED_FORMATS",
    "EpubMetadata",
    "FormatError",
    "ParsedBook",
    "comic_pages",
    "detect_format",
    "file_hashes",
    "filename_md5",
    "koreader_partial_md5",
    "make_thumbnail",
    "normalise_cover",
    "page_count",
    "parse_filename",
    "read_book",
    "read_page",
    "render_page",
    "sha256_file",
    "sniff_image_type",
    "write_epub_copy",
    "write_epub_metadata",
]

from bookshelf.formats.comic import comic_pages, read_page  # noqa: E402

log = logging.getLogger(__name__)


def _parse(path: Path, fmt: str) -> ParsedBook:
    if fmt == "epub":
        from bookshelf.formats.epub import read_epub

        return read_epub(path)
    if fmt == "pdf":
        from bookshelf.formats.pdf import read_pdf

        return read_pdf(path)
    if fmt in ("mobi", "azw3"):
        from bookshelf.formats.mobi import read_mobi

        return read_mobi(path)
    from bookshelf.formats.comic import read_comic

    return read_comic(path, fmt)


def _fill_from_filename(book: ParsedBook, path: Path) -> None:
    title, authors, series, index = parse_filename(path.name)
    book.title = title
    if not book.authors:
        book.authors = authors
    if not book.series and series:
        book.series, book.series_index = series, index


def read_book(path: Path | str) -> ParsedBook:
    """Metadata and cover of any supported book; unreadable files raise FormatError only."""
    path = Path(path)
    try:
        book = _parse(path, detect_format(path))
    except FormatError:
        raise
    except MemoryError as exc:
        raise FormatError(f"{path.name} needs too much memory to read.", "too_large") from exc
    except RecursionError as exc:
        raise FormatError(f"{path.name} is nested too deeply to read.", "corrupt") from exc
    except Exception as exc:  # a parser bug on odd input must not escape as a traceback
        log.warning("unexpected error reading %s", path, exc_info=True)
        raise FormatError(
            f"{path.name} could not be read because of an unexpected problem ({type(exc).__name__}: {exc}).", "corrupt"
        ) from exc
    if not book.title:
        _fill_from_filename(book, path)
    return book
