"""An EPUB's spine as crengine numbers it (DocFragment[N]), and XPointers resolved against it."""

from __future__ import annotations

from pathlib import Path

from bookshelf.formats.epub import load_package
from bookshelf.formats.parsed import FormatError
from bookshelf.formats.safexml import local
from bookshelf.formats.safezip import SafeZip
from bookshelf.formats.xpointer import Element, XPointer, parse_xhtml, resolve, text_from


def spine_names(zf: SafeZip) -> list[str]:
    """Zip entry names of every spine item in order: crengine gives each one a DocFragment."""
    pkg = load_package(zf)
    spine = next((el for el in pkg.root if local(el.tag) == "spine"), None)
    names: list[str] = []
    for ref in spine if spine is not None else []:
        item = pkg.manifest.get(ref.get("idref", ""))
        if local(ref.tag) == "itemref" and item and item.get("href"):
            names.append(pkg.href_path(item["href"]))
    return names


class EpubText:
    """The content documents of one EPUB, parsed on demand, for reading and writing XPointers."""

    def __init__(self, path: Path) -> None:
        self.zf = SafeZip(path, kind="EPUB")
        self.names = spine_names(self.zf)
        self._bodies: dict[int, Element] = {}

    def body(self, fragment: int) -> Element:
        if not 1 <= fragment <= len(self.names):
            raise FormatError(f"The EPUB has no spine item {fragment}.", "corrupt")
        if fragment not in self._bodies:
            self._bodies[fragment] = parse_xhtml(self.zf.read(self.names[fragment - 1]))
        return self._bodies[fragment]

    def text_at(self, xpointer: str, length: int = 40) -> str | None:
        """The text an XPointer points at, or None when it does not resolve in this file."""
        xp = XPointer.parse(xpointer)
        if xp is None or not 1 <= xp.fragment <= len(self.names):
            return None
        body = self.body(xp.fragment)
        point = resolve(body, xp)
        return None if point is None else text_from(body, point, length)
