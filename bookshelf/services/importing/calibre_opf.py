"""Reading a calibre library from the metadata.opf in each book folder, when metadata.db cannot be read.

calibre writes ``Author/Title (id)/metadata.opf`` beside every book (OPF 2.0
with calibre's own metas), holding everything the importer takes from
metadata.db except the list of files, which is the folder itself. Each OPF is
parsed with the safe XML helper, only read, never written. metadata.db also
holds the library's uuid, which import sources are keyed by; without it the
library folder stands in (``folder-<hash of its path>``), so reruns on the
same folder continue, and a book an earlier run imported under the uuid is
recognised by its bytes as a duplicate. The OPFs are calibre's backup of
metadata.db, written back lazily: an edit calibre had not yet written back
(``calibredb set_metadata`` leaves them dirty for a while) is not in them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from xml.etree.ElementTree import Element

from bookshelf.db.calibre import CalibreBook, MetadataDb
from bookshelf.errors import CalibreError
from bookshelf.formats.parsed import FormatError
from bookshelf.formats.safexml import attr, local, parse_xml

OPF = "metadata.opf"
COVER = "cover.jpg"
MAX_OPF = 4 * 1024 * 1024  # calibre's are a few KB; a long description stays far below this
_ID_IN_FOLDER = re.compile(r"\((\d+)\)$")


class OpfLibrary:
    """The same face as :class:`MetadataDb`, over the book folders' OPFs."""

    def __init__(self, library: Path, folders: dict[int, Path]) -> None:
        self.library = library
        self.folders = folders
        self.uuid = "folder-" + hashlib.sha256(str(library).encode("utf-8")).hexdigest()[:16]
        self.problems: list[tuple[int, str, str]] = []  # (calibre id, folder, why) of OPFs not read

    def book_ids(self) -> list[int]:
        return sorted(self.folders)

    def read_books(self, ids: Sequence[int]) -> list[CalibreBook]:
        books = []
        for book_id in ids:
            folder = self.folders.get(book_id)
            if folder is None:
                continue
            try:
                books.append(read_opf(self.library, folder, book_id))
            except (OSError, FormatError, ValueError) as exc:
                reason = getattr(exc, "message", None) or getattr(exc, "strerror", None) or str(exc)
                self.problems.append((book_id, folder.relative_to(self.library).as_posix(), f"{OPF}: {reason}"))
        return books

    def close(self) -> None:
        pass


def open_library(library: Path) -> tuple[MetadataDb | OpfLibrary, str | None]:
    """metadata.db when it can be read, else the OPFs; with a note saying why the OPFs are read."""
    try:
        return MetadataDb.open(library), None
    except CalibreError as exc:
        folders = scan(library)
        if not folders:
            raise
        return OpfLibrary(library, folders), f"{exc}; reading each book's {OPF} instead"


def scan(library: Path) -> dict[int, Path]:
    """calibre id -> book folder, for every ``Author/Title (id)/metadata.opf`` (first folder wins)."""
    found: dict[int, Path] = {}
    for opf in sorted(library.glob(f"*/*/{OPF}")):
        folder = opf.parent
        if folder.parent.name.startswith("."):
            continue  # calibre's own folders (.caltrash, .calnotes), not authors
        if not opf.is_file() or folder.is_symlink() or folder.parent.is_symlink():
            continue
        match = _ID_IN_FOLDER.search(folder.name)
        book_id = int(match.group(1)) if match else _id_in_opf(opf)
        if book_id is not None and book_id not in found:
            found[book_id] = folder
    return found


def _id_in_opf(opf: Path) -> int | None:
    try:
        meta = _metadata(opf)
    except (OSError, FormatError):
        return None
    for el in meta:
        if local(el.tag) == "identifier" and (attr(el, "scheme") or "").lower() == "calibre":
            text = (el.text or "").strip()
            return int(text) if text.isdigit() else None
    return None


def _metadata(opf: Path) -> Element:
    data = opf.read_bytes()
    root = parse_xml(data, OPF, MAX_OPF)
    meta = next((el for el in root if local(el.tag) == "metadata"), None)
    if local(root.tag) != "package" or meta is None:
        raise FormatError(f"The {OPF} is not a package with <metadata>.", "bad_xml")
    return meta


def read_opf(library: Path, folder: Path, book_id: int) -> CalibreBook:
    """One book from its folder: the OPF's metadata, the folder's files as its formats."""
    meta = _metadata(folder / OPF)
    book = CalibreBook(id=book_id, title="", path=folder.relative_to(library).as_posix())
    for el in meta:
        _apply(book, el)
    book.has_cover = (folder / COVER).is_file()
    book.formats = [
        (path.suffix[1:].upper(), path.stem)
        for path in sorted(folder.iterdir())
        if path.suffix and path.name not in (OPF, COVER) and not path.name.startswith(".") and path.is_file()
    ]
    if book.authors:
        book.author_sort = " & ".join(sort or name for name, sort in book.authors)
    return book


def _apply(book: CalibreBook, el: Element) -> None:
    """One child of <metadata> into the book, the way calibre wrote it."""
    name, text = local(el.tag), (el.text or "").strip()
    if name == "title":
        book.title = text
    elif name == "creator" and text and (attr(el, "role") or "aut").lower() == "aut":
        book.authors.append((text, attr(el, "file-as")))
    elif name == "identifier" and text:
        scheme = (attr(el, "scheme") or "").lower()
        if scheme == "uuid":
            book.uuid = text
        elif scheme and scheme != "calibre":
            book.identifiers[scheme] = text
    elif name == "date" and text:
        book.pubdate = text
    elif name == "description" and text:
        book.comments = text
    elif name == "publisher" and text:
        book.publisher = text
    elif name == "language" and text:
        book.languages.append(text)
    elif name == "subject" and text:
        book.tags.append(text)
    elif name == "meta":
        _calibre_meta(book, el.get("name") or "", el.get("content") or "")


def _calibre_meta(book: CalibreBook, name: str, content: str) -> None:
    if name == "calibre:series":
        book.series = content.strip() or None
    elif name == "calibre:series_index":
        book.series_index = _number(content)
    elif name == "calibre:rating":
        rating = _number(content)
        book.rating = round(rating) if rating is not None and 0 <= rating <= 10 else None


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
