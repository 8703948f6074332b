"""Checked, atomic rewriting of an EPUB's metadata and cover, leaving every other entry intact."""

from __future__ import annotations

import io
import os
import posixpath
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bookshelf.formats import opfedit
from bookshelf.formats.covers import normalise_cover, open_image, sniff_image_type
from bookshelf.formats.epub import Package, check_drm, load_package
from bookshelf.formats.epub_readback import Hashing, verify
from bookshelf.formats.opfedit import el, format_number
from bookshelf.formats.parsed import EpubMetadata, FormatError
from bookshelf.formats.plaintext import description_html
from bookshelf.formats.safezip import EPUB_LIMITS, MiB, SafeZip
from bookshelf.formats.zipcopy import RawZipWriter


class _OpfWriter:
    """Builds the new <metadata> children for one package, in its EPUB version's idiom."""

    def __init__(self, opf: str, pkg: Package) -> None:
        self.epub3 = pkg.root.get("version", "2.0").startswith("3")
        self.dc, self.dc_declared = opfedit.prefix_for(opf, opfedit.DC_NS, "dc")
        self.opf, self.opf_declared = opfedit.prefix_for(opf, opfedit.OPF_NS, "opf")
        self.parts: list[str] = []

    def add(self, tag: str, text: str | None = None, **attrs: str) -> None:
        self.parts.append(el(tag, text, **attrs))

    def dc_el(self, name: str, text: str, **attrs: str) -> None:
        self.add(f"{self.dc}:{name}", text, **attrs)

    def refine(self, target: str, prop: str, value: str, **attrs: str) -> None:
        self.add("meta", value, refines=f"#{target}", property=prop, **attrs)

    def opf_attrs(self, **attrs: str) -> dict[str, str]:
        return {f"{self.opf}__{k}": v for k, v in attrs.items() if v}

    def creators(self, meta: EpubMetadata) -> None:
        for i, name in enumerate(meta.authors):
            sort = meta.author_sort if i == 0 and meta.author_sort else ""
            if self.epub3:
                ident = f"bookshelf-author-{i + 1}"
                self.dc_el("creator", name, id=ident)
                self.refine(ident, "role", "aut", scheme="marc:relators")
                if sort:
                    self.refine(ident, "file-as", sort)
            else:
                self.dc_el("creator", name, **self.opf_attrs(role="aut", **{"file-as": sort}))

    def series(self, meta: EpubMetadata) -> None:
        if not meta.series:
            return
        self.add("meta", name="calibre:series", content=meta.series)
        if meta.series_index is not None:
            self.add("meta", name="calibre:series_index", content=format_number(meta.series_index))
        if self.epub3:
            self.add("meta", meta.series, property="belongs-to-collection", id="bookshelf-series")
            self.refine("bookshelf-series", "collection-type", "series")
            if meta.series_index is not None:
                self.refine("bookshelf-series", "group-position", format_number(meta.series_index))

    def identifiers(self, meta: EpubMetadata) -> None:
        isbn = meta.isbn13 or meta.isbn10
        if not isbn:
            return
        if self.epub3:
            self.dc_el("identifier", f"urn:isbn:{isbn}", id="bookshelf-isbn")
        else:
            self.dc_el("identifier", isbn, **self.opf_attrs(scheme="ISBN"))

    def build(self, meta: EpubMetadata) -> str:
        self.dc_el("title", meta.title)
        self.creators(meta)
        self.series(meta)
        self.identifiers(meta)
        if meta.language:
            self.dc_el("language", meta.language)
        if meta.publisher:
            self.dc_el("publisher", meta.publisher)
        if meta.published_year:
            date_attrs = {} if self.epub3 else self.opf_attrs(event="publication")
            self.dc_el("date", f"{meta.published_year:04d}", **date_attrs)
        if meta.description:
            self.dc_el("description", description_html(meta.description))
        for genre in dict.fromkeys(g for g in meta.genres if g.strip()):
            self.dc_el("subject", genre.strip())
        return "".join(self.parts)


def _roles(pkg: Package) -> Any:
    def role(element: opfedit.Element) -> str:
        ident = element.attr("id") or ""
        refined = pkg.refines.get(ident, {}).get("role", [None])[0]
        return (element.attr("role") or refined or "aut").strip().lower()

    return role


def _declare(start_tag: str, prefix: str, ns: str) -> str:
    return start_tag[:-1].rstrip("/") + f' xmlns:{prefix}="{ns}">'


def rewrite_opf(opf: str, pkg: Package, meta: EpubMetadata, cover_item: str | None) -> str:
    """The OPF text with managed metadata replaced; cover_item is a manifest id to point to."""
    block = opfedit.split_metadata(opf)
    writer = _OpfWriter(opf, pkg)
    unique = pkg.root.get("unique-identifier")
    roles = _roles(pkg)
    removed = [c for c in block.children if opfedit.is_managed(c, roles, unique)]
    kept = [c for c in block.children if c not in removed]
    kept = opfedit.drop_orphan_refines(kept, {c.attr("id") or "" for c in removed} - {""})
    if writer.epub3:
        kept = [c for c in kept if c.attrs.get("property") != "dcterms:modified"]
        writer.add("meta", opfedit.modified_now(), property="dcterms:modified")
    new = writer.build(meta)
    if cover_item and not any(c.attrs.get("name") == "cover" for c in kept):
        new += el("meta", name="cover", content=cover_item)
    before = block.before
    if not writer.dc_declared:
        before = before[: before.rfind("<")] + _declare(before[before.rfind("<") :], writer.dc, opfedit.DC_NS)
    if not writer.epub3 and not writer.opf_declared:
        before = before[: before.rfind("<")] + _declare(before[before.rfind("<") :], writer.opf, opfedit.OPF_NS)
    return before + new + "".join(c.raw for c in kept) + block.tail_ws + block.after


@dataclass
class _CoverPlan:
    entry: str  # zip entry name to write
    data: bytes
    manifest_item: str | None = None  # text to insert into <manifest>, for a new cover
    item_id: str | None = None


def _existing_cover(pkg: Package) -> dict[str, str] | None:
    items = list(pkg.manifest.values())
    marked = next((i for i in items if "cover-image" in i.get("properties", "").split()), None)
    meta_id = next((c.get("content") for c in pkg.metadata if c.get("name") == "cover" and c.get("content")), None)
    item = marked or pkg.manifest.get(meta_id or "")
    if item and item.get("media-type") in ("image/jpeg", "image/png") and item.get("href"):
        return item
    return None


def _encode_as(data: bytes, media_type: str) -> bytes:
    """Covers keep the existing entry's type, so the manifest stays truthful without edits."""
    img = open_image(data)
    img.load()
    out = io.BytesIO()
    if media_type == "image/png":
        img.save(out, "PNG")
    else:
        img.convert("RGB").save(out, "JPEG", quality=88)
    return out.getvalue()


def _plan_cover(pkg: Package, cover: bytes, names: list[str], epub3: bool, ready: bool) -> _CoverPlan:
    stored_type = sniff_image_type(cover) if ready else None
    if stored_type in ("image/jpeg", "image/png"):
        data, media_type = cover, stored_type  # normalised (and fully decoded once) when it was stored
    else:
        data, media_type = normalise_cover(cover)
    existing = _existing_cover(pkg)
    if existing:
        target = existing["media-type"]
        data = data if target == media_type else _encode_as(data, target)
        return _CoverPlan(pkg.href_path(existing["href"]), data)
    ext = ".png" if media_type == "image/png" else ".jpg"
    href = f"bookshelf-cover{ext}"
    entry = posixpath.join(posixpath.dirname(pkg.name), href)
    if entry in names or "bookshelf-cover" in pkg.manifest:
        raise FormatError("The EPUB already has an entry named like our cover.", "write_failed")
    props = ' properties="cover-image"' if epub3 else ""
    item = f'\n    <item id="bookshelf-cover" href="{href}" media-type="{media_type}"{props}/>'
    return _CoverPlan(entry, data, item, "bookshelf-cover")


def _insert_manifest_item(opf: str, item: str) -> str:
    close = max(opf.rfind("</manifest>"), opf.rfind(":manifest>"))
    close = opf.rfind("<", 0, close + 1) if close >= 0 else -1
    if close < 0:
        raise FormatError("The EPUB package document has no <manifest>.", "bad_xml")
    head = opf[:close].rstrip()
    return head + item + opf[len(head) :]


def _write_zip(src_path: Path, out: Any, replacements: dict[str, bytes]) -> None:
    writer = RawZipWriter(out)
    with open(src_path, "rb") as src, zipfile.ZipFile(src) as zf:
        writer.write("mimetype", b"application/epub+zip", compress=False)
        for info in zf.infolist():
            if info.filename == "mimetype" or info.is_dir() and info.file_size == 0:
                continue
            if info.filename in replacements:
                data = replacements.pop(info.filename)
                writer.write(info.filename, data, compress=_worth_deflating(data), date_time=info.date_time)
            else:
                writer.copy_raw(src, info)
        for name, data in replacements.items():  # entries that are new, e.g. a first cover
            writer.write(name, data, compress=_worth_deflating(data))
        writer.close()


def _worth_deflating(data: bytes) -> bool:
    """JPEG and PNG are compressed already: deflating them again saves nothing and costs the most."""
    return sniff_image_type(data) not in ("image/jpeg", "image/png")


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # some filesystems do not allow opening directories; the rename still happened
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _prepare(path: Path, meta: EpubMetadata, cover: bytes | None, ready: bool) -> dict[str, bytes]:
    with SafeZip(path, EPUB_LIMITS, "EPUB") as zf:
        check_drm(zf)
        pkg = load_package(zf)
        raw = zf.read(pkg.name, 16 * MiB)
        names = zf.names()
    try:
        opf = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError("Only UTF-8 package documents can be rewritten.", "write_failed") from exc
    plan = _plan_cover(pkg, cover, names, _OpfWriter(opf, pkg).epub3, ready) if cover else None
    if plan and plan.manifest_item:
        opf = _insert_manifest_item(opf, plan.manifest_item)
    opf = rewrite_opf(opf, pkg, meta, plan.item_id if plan else None)
    replacements = {pkg.name: opf.encode("utf-8")}
    if plan:
        replacements[plan.entry] = plan.data
    return replacements


def write_epub_copy(src: Path, dst: Path, meta: EpubMetadata, cover: bytes | None = None, *,
                    cover_ready: bool = False) -> str:  # fmt: skip
    """Write ``src`` with new metadata (and cover) as the new file ``dst``, fsynced and read back;
    returns its SHA-256. ``src`` is only read; on any failure ``dst`` does not exist. ``cover_ready``
    says the cover is one bookshelf stored (normalised then), so it is not decoded again."""
    src, dst = Path(src), Path(dst)
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        replacements = _prepare(src, meta, cover, cover_ready)
        written = list(replacements)
        with os.fdopen(fd, "wb") as out:
            fd = -1
            hashing = Hashing(out)
            _write_zip(src, hashing, replacements)
            out.flush()
            os.fsync(out.fileno())
        return verify(dst, meta, cover, written, hashing.digest.hexdigest())
    except BaseException as exc:
        if fd != -1:
            os.close(fd)
        dst.unlink(missing_ok=True)
        if isinstance(exc, FormatError) and exc.reason == "write_failed":
            raise
        if isinstance(exc, FormatError):
            raise FormatError(f"Rewriting the EPUB failed: {exc.message}", "write_failed") from exc
        if not isinstance(exc, Exception):
            raise  # KeyboardInterrupt and friends keep their meaning
        # Anything else is a bug meeting odd input; the caller still gets one error type.
        raise FormatError(f"Rewriting the EPUB failed ({type(exc).__name__}: {exc}).", "write_failed") from exc


def write_epub_metadata(path: Path, meta: EpubMetadata, cover: bytes | None = None) -> None:
    """Rewrite metadata (and the cover, if given) in place; the original survives any failure."""
    path = Path(path)
    tmp = path.parent / f".bookshelf-{uuid.uuid4().hex}.epub.tmp"
    write_epub_copy(path, tmp, meta, cover)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
