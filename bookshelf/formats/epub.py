"""EPUB 2 and 3 metadata and cover extraction, straight from the zip and the OPF."""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from bookshelf.formats.covers import checked_cover
from bookshelf.formats.isbn import both_forms, normalise_isbn
from bookshelf.formats.language import to_bcp47
from bookshelf.formats.parsed import FormatError, ParsedBook
from bookshelf.formats.plaintext import clean, html_to_text
from bookshelf.formats.safexml import attr, local, parse_xml
from bookshelf.formats.safezip import EPUB_LIMITS, SafeZip

MiB = 1024 * 1024
# Font obfuscation (IDPF and Adobe) is not DRM: the text is readable without a key.
FONT_OBFUSCATION = {"http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC"}
_IMG_REF = re.compile(
    r"<(?:\w+:)?(?:img|image)\b[^>]*?\b(?:src|(?:xlink:)?href)\s*=\s*[\"']([^\"']+)", re.I | re.S)


@dataclass
class Package:
    """The parts of an OPF the reader and writer both need."""

    name: str  # zip entry name of the OPF
    root: ET.Element
    metadata: ET.Element
    manifest: dict[str, dict[str, str]] = field(default_factory=dict)  # id -> attributes
    refines: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # id -> prop -> values

    def href_path(self, href: str, base: str | None = None) -> str:
        base_dir = posixpath.dirname(base if base is not None else self.name)
        href = unquote(href.split("#", 1)[0])
        return posixpath.normpath(posixpath.join(base_dir, href)).lstrip("/")

    def refined(self, el: ET.Element, prop: str) -> str | None:
        values = self.refines.get(el.get("id", ""), {}).get(prop)
        return values[0] if values else None


def check_drm(zf: SafeZip) -> None:
    name = zf.find("META-INF/encryption.xml")
    if name is None:
        return
    root = parse_xml(zf.read(name, MiB), "EPUB encryption manifest")
    algorithms = {attr(el, "Algorithm") or "" for el in root.iter() if local(el.tag) ==
                  "EncryptionMethod"}
    if algorithms - FONT_OBFUSCATION:
        raise FormatError("The EPUB is DRM-protected (its content is encrypted).", "drm")


def find_opf(zf: SafeZip) -> str:
    container = zf.find("META-INF/container.xml")
    if container is not None:
        root = parse_xml(zf.read(container, MiB), "EPUB container (META-INF/container.xml)")
        for el in root.iter():
            path = attr(el, "full-path") if local(el.tag) == "rootfile" else None
            if path:
                found = zf.find(unquote(path).lstrip("/"))
                if found is None:
                    raise FormatError("EPUB has no package document (META-INF/container.xml "
                                      f"points to a missing file, {path!r}).", "missing_opf")
                return found
    opfs = [n for n in zf.names() if n.lower().endswith(".opf")]
    if not opfs:
        raise FormatError("EPUB has no package document (no META-INF/container.xml entry and "
                          "no .opf file).", "missing_opf")
    return opfs[0]


def load_package(zf: SafeZip) -> Package:
    name = find_opf(zf)
    root = parse_xml(zf.read(name, 16 * MiB), "EPUB package document")
    metadata = next((el for el in root if local(el.tag) == "metadata"), None)
    if local(root.tag) != "package" or metadata is None:
        raise FormatError("The EPUB package document has no <metadata> section.", "bad_xml")
    pkg = Package(name=name, root=root, metadata=metadata)
    for section in root:
        if local(section.tag) == "manifest":
            for item in section:
                if local(item.tag) == "item" and item.get("id"):
                    pkg.manifest[item.get("id", "")] = dict(item.attrib)
    for meta in metadata:
        target, prop = meta.get("refines", ""), meta.get("property")
        if local(meta.tag) == "meta" and target.startswith("#") and prop:
            pkg.refines.setdefault(target[1:], {}).setdefault(prop, []).append(
                (meta.text or "").strip())
    return pkg


def _dc(pkg: Package, name: str) -> list[ET.Element]:
    return [el for el in pkg.metadata if local(el.tag) == name]


def _meta_content(pkg: Package, name: str) -> str | None:
    for el in pkg.metadata:
        if local(el.tag) == "meta" and el.get("name") == name:
            return clean(el.get("content"))
    return None


def _titles(pkg: Package, book: ParsedBook) -> None:
    titles = [(el, clean("".join(el.itertext()))) for el in _dc(pkg, "title")]
    titles = [(el, t) for el, t in titles if t]
    main = [t for el, t in titles if pkg.refined(el, "title-type") in (None, "main")]
    subs = [t for el, t in titles if pkg.refined(el, "title-type") == "subtitle"]
    book.title = (main or [t for _, t in titles] or [None])[0]
    book.subtitle = subs[0] if subs else None


def _creators(pkg: Package, book: ParsedBook) -> None:
    for el in _dc(pkg, "creator"):
        name = clean("".join(el.itertext()))
        role = (attr(el, "role") or pkg.refined(el, "role") or "aut").strip().lower()
        if not name or role != "aut":
            continue
        book.authors.append(name)
        if len(book.authors) == 1:
            book.author_sort = clean(attr(el, "file-as") or pkg.refined(el, "file-as"))
    if book.authors and not book.author_sort:
        book.author_sort = _meta_content(pkg, "calibre:author_sort")


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _series(pkg: Package, book: ParsedBook) -> None:
    book.series = _meta_content(pkg, "calibre:series")
    book.series_index = _float(_meta_content(pkg, "calibre:series_index"))
    if book.series:
        return
    collections = [el for el in pkg.metadata
                   if local(el.tag) == "meta" and el.get("property") == "belongs-to-collection"]
    collections.sort(key=lambda el: pkg.refined(el, "collection-type") != "series")
    for el in collections:
        book.series = clean(el.text)
        book.series_index = _float(pkg.refined(el, "group-position"))
        return


def _identifiers(pkg: Package, book: ParsedBook) -> None:
    for el in _dc(pkg, "identifier"):
        text = (el.text or "").strip()
        scheme = (attr(el, "scheme") or "").strip().lower()
        prefix, _, rest = text.partition(":")
        if not scheme and rest and prefix.lower() not in ("urn", "http", "https"):
            scheme, text = prefix.lower(), rest.strip()  # "isbn:978..." / "asin:B00..."
        elif text.lower().startswith("urn:") and text.count(":") >= 2:
            scheme, text = text.split(":", 2)[1].lower(), text.split(":", 2)[2]
        isbn = normalise_isbn(text) if scheme in ("", "isbn") else None
        if isbn and not book.isbn13 and not book.isbn10:
            book.isbn10, book.isbn13 = both_forms(isbn)
            book.identifiers["isbn"] = book.isbn13 or isbn
        elif scheme and scheme != "isbn" and text:
            key = {"amazon": "asin", "mobi-asin": "asin"}.get(scheme, scheme)
            book.identifiers.setdefault(key, text)


def _year(pkg: Package) -> int | None:
    dates = _dc(pkg, "date")
    dates.sort(key=lambda el: (attr(el, "event") or "publication") != "publication")
    for el in dates:
        match = re.match(r"\s*(\d{4})", el.text or "")
        # Calibre writes 0101-01-01 for "unknown"; years before 1000 are never real data here.
        if match and 1000 <= int(match.group(1)) <= 2200:
            return int(match.group(1))
    return None


def fill_metadata(pkg: Package, book: ParsedBook) -> None:
    _titles(pkg, book)
    _creators(pkg, book)
    _series(pkg, book)
    _identifiers(pkg, book)
    langs = [to_bcp47(el.text) for el in _dc(pkg, "language")]
    book.language = next((lang for lang in langs if lang), None)
    book.publisher = next((clean(el.text) for el in _dc(pkg, "publisher") if clean(el.text)), None)
    book.published_year = _year(pkg)
    descriptions = ["".join(el.itertext()) for el in _dc(pkg, "description")]
    book.description = html_to_text(descriptions[0]) if descriptions else None
    for el in _dc(pkg, "subject"):
        genre = clean("".join(el.itertext()))
        if genre and genre not in book.genres:
            book.genres.append(genre)


def _image_in_document(zf: SafeZip, pkg: Package, doc: str) -> str | None:
    found = zf.find(doc)
    if found is None:
        return None
    text = zf.read(found, 8 * MiB).decode("utf-8", errors="replace")
    match = _IMG_REF.search(text)
    return pkg.href_path(match.group(1), base=found) if match else None


def _cover_candidates(zf: SafeZip, pkg: Package) -> list[str | None]:
    items = list(pkg.manifest.values())
    props = [pkg.href_path(i["href"]) for i in items
             if "cover-image" in i.get("properties", "").split() and i.get("href")]
    ref = _meta_content(pkg, "cover")
    item = pkg.manifest.get(ref or "") or next((i for i in items if ref and i.get("href") == ref),
                                               None)
    meta = [pkg.href_path(item["href"])] if item and item.get("href") else []
    guide = [pkg.href_path(attr(el, "href") or "") for el in pkg.root.iter()
             if local(el.tag) == "reference" and (el.get("type") or "").lower() == "cover"]
    guide_images = [g if g.lower().endswith((".jpg", ".jpeg", ".png", ".gif", ".webp"))
                    else _image_in_document(zf, pkg, g) for g in guide if g]
    spine = next((el for el in pkg.root if local(el.tag) == "spine"), None)
    first = next((pkg.manifest.get(ref.get("idref", ""), {}).get("href") for ref in spine or []
                  if local(ref.tag) == "itemref"), None)
    spine_img = [_image_in_document(zf, pkg, pkg.href_path(first))] if first else []
    return [*props, *meta, *guide_images, *spine_img]


def find_cover(zf: SafeZip, pkg: Package) -> tuple[bytes, str] | None:
    for name in _cover_candidates(zf, pkg):
        found = zf.find(name) if name else None
        if found:
            cover = checked_cover(zf.read(found, 32 * MiB))
            if cover:
                return cover
    return None


def read_epub(path: Path) -> ParsedBook:
    with SafeZip(path, EPUB_LIMITS, "EPUB") as zf:
        check_drm(zf)
        pkg = load_package(zf)
        book = ParsedBook(format="epub")
        fill_metadata(pkg, book)
        cover = find_cover(zf, pkg)
        if cover:
            book.cover, book.cover_media_type = cover
        return book
