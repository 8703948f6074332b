"""What kind of book a file is, judged by its bytes rather than its name."""

from __future__ import annotations

import zipfile
from pathlib import Path

from bookshelf.formats.parsed import FormatError

SUPPORTED_FORMATS = ("epub", "pdf", "mobi", "azw3", "cbz", "cbr")
_IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".avif")
# Things people upload by mistake, named so the error sentence can say what the file really is.
_NOT_BOOKS = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x1f\x8b", "a gzip file"),
    (b"{\\rtf", "an RTF document"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
)


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            if "mimetype" in names and zf.getinfo("mimetype").file_size < 100:
                if zf.read("mimetype").strip() == b"application/epub+zip":
                    return "epub"
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise FormatError(f"The file starts like a zip archive but is damaged ({exc}).", "not_a_zip") from exc
    except RuntimeError as exc:  # zipfile's word for an encrypted entry
        raise FormatError(f"The zip archive is password-protected ({exc}).", "encrypted") from exc
    if "META-INF/container.xml" in names or any(n.lower().endswith(".opf") for n in names):
        return "epub"
    if any(n.lower().endswith(_IMAGE_EXTS) for n in names):
        return "cbz"
    raise FormatError("The zip archive holds neither an EPUB package nor comic pages.", "unsupported_format")


def _describe(head: bytes) -> str:
    for magic, what in _NOT_BOOKS:
        if head.startswith(magic):
            return what
    if head[:512].lstrip().lower().startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    if not head.strip(b"\x00"):
        return "nothing but zero bytes"
    return "not in a recognised ebook format"


def detect_format(path: Path | str) -> str:
    """One of SUPPORTED_FORMATS, or FormatError saying what the file is instead."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise FormatError(f"The file cannot be read ({exc.strerror}).", "unreadable") from exc
    if not head:
        raise FormatError("The file is empty.", "empty_file")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(path)
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith((b"Rar!\x1a\x07\x00", b"Rar!\x1a\x07\x01\x00")):
        return "cbr"
    if head[60:68] in (b"BOOKMOBI", b"TEXtREAd"):
        from bookshelf.formats.mobi import sniff_mobi_kind

        return sniff_mobi_kind(path)
    what = _describe(head)
    if what == "nothing but zero bytes":
        raise FormatError("The file holds nothing but zero bytes.", "empty_file")
    raise FormatError(f"The file is {what}, not an ebook.", "unsupported_format")
