"""Text-level edits of an OPF's <metadata>: managed elements replaced, the rest kept as is."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from bookshelf.formats.parsed import FormatError

DC_NS = "http://purl.org/dc/elements/1.1/"
OPF_NS = "http://www.idpf.org/2007/opf"
_META_OPEN = re.compile(r"<((?:[\w.-]+:)?metadata)\b[^>]*>", re.S)
_ITEM = re.compile(r"(\s*)(<!--.*?-->|<([\w.:-]+)\b([^>]*?)(/?)>)", re.S)
_ATTR = re.compile(r"([\w.:-]+)\s*=\s*(\"[^\"]*\"|'[^']*')")
_MANAGED_DC = {"title", "creator", "identifier", "language", "publisher", "date", "description",
               "subject"}
_MANAGED_META_NAMES = {"calibre:series", "calibre:series_index", "calibre:author_sort",
                       "calibre:title_sort"}


@dataclass
class Element:
    """One child of <metadata> as raw text, with what we need to decide its fate."""

    raw: str  # includes the whitespace before it
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    text: str = ""

    @property
    def local(self) -> str:
        return self.tag.rsplit(":", 1)[-1]

    def attr(self, name: str) -> str | None:
        return next((v for k, v in self.attrs.items() if k.rsplit(":", 1)[-1] == name), None)


@dataclass
class MetadataBlock:
    before: str  # the OPF up to and including the <metadata ...> start tag
    children: list[Element]
    tail_ws: str  # whitespace before </metadata>
    after: str  # from </metadata> on


def split_metadata(opf: str) -> MetadataBlock:
    start = _META_OPEN.search(opf)
    if not start:
        raise FormatError("The EPUB package document has no <metadata> section.", "bad_xml")
    close = opf.find(f"</{start.group(1)}", start.end())
    if close < 0:
        raise FormatError("The EPUB package's <metadata> section is not closed.", "bad_xml")
    inner = opf[start.end():close]
    children, pos = [], 0
    for match in _ITEM.finditer(inner):
        if match.start() < pos:
            continue
        ws, whole, tag, attrs, selfclose = match.groups()
        end = match.end()
        text = ""
        if tag and not selfclose:
            close_tag = inner.find(f"</{tag}", end)
            if close_tag < 0:
                raise FormatError(f"The EPUB metadata element <{tag}> is not closed.", "bad_xml")
            text = inner[end:close_tag]
            end = inner.index(">", close_tag) + 1
        parsed = {k: html.unescape(v[1:-1]) for k, v in _ATTR.findall(attrs or "")}
        children.append(Element(inner[match.start():end], tag or "", parsed, text))
        pos = end
    tail = inner[pos:]
    return MetadataBlock(opf[:start.end()], children, tail if not tail.strip() else tail,
                         opf[close:])


def prefix_for(opf: str, namespace: str, default: str) -> tuple[str, bool]:
    """The prefix the file binds to ``namespace`` and whether it is already declared."""
    match = re.search(r"xmlns:([\w.-]+)\s*=\s*[\"']" + re.escape(namespace) + r"[\"']", opf)
    return (match.group(1), True) if match else (default, False)


def is_managed(el: Element, roles: Callable[[Element], str], unique_id: str | None) -> bool:
    """True for the elements a metadata write replaces; unknown ones are always kept."""
    name = el.local
    if not el.tag:
        return False
    if name in _MANAGED_DC and el.tag != "meta":
        if name == "creator":
            return roles(el) == "aut"
        if name == "identifier":
            return el.attr("id") != unique_id and _is_isbn_identifier(el)
        if name == "date":
            return (el.attr("event") or "publication").lower() == "publication"
        return True
    if name == "meta":
        return (el.attrs.get("name") in _MANAGED_META_NAMES
                or el.attrs.get("property") == "belongs-to-collection")
    return False


def _is_isbn_identifier(el: Element) -> bool:
    from bookshelf.formats.isbn import normalise_isbn

    text = html.unescape(re.sub(r"<[^>]*>", "", el.text)).strip()
    scheme = (el.attr("scheme") or "").lower()
    return scheme == "isbn" or text.lower().startswith(("urn:isbn:", "isbn:")) or bool(
        not scheme and normalise_isbn(text))


def drop_orphan_refines(children: list[Element], removed_ids: set[str]) -> list[Element]:
    return [el for el in children
            if not (el.local == "meta" and el.attrs.get("refines", "")[1:] in removed_ids
                    and el.attrs.get("refines", "").startswith("#"))]


def el(tag: str, text: str | None = None, indent: str = "\n    ", **attrs: str) -> str:
    """One element as text; attribute names use '__' for ':' (opf__role -> opf:role)."""
    attr_text = "".join(f" {k.replace('__', ':')}={quoteattr(v)}" for k, v in attrs.items())
    if text is None:
        return f"{indent}<{tag}{attr_text}/>"
    return f"{indent}<{tag}{attr_text}>{escape(text)}</{tag}>"


def modified_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
