"""KOReader XPointers over an EPUB's XHTML, counted the way crengine builds its DOM.

A KOReader position in a reflowable book reads
``/body/DocFragment[N]/body/div[2]/p[7]/text()[2].31``: ``N`` is the 1-based
spine item, each element step is 1-based among same-named sibling elements
(the index left out when the element is the only one of its name), ``text()``
counts text nodes among siblings, and ``.31`` is a character offset in that
text node. The counts are crengine's, not the source file's, and differ from
it in three ways this module reproduces (lvtinydom.cpp, lvxml.cpp):

- in text outside ``<pre>``, ``\\r \\n \\t`` become spaces and runs of spaces
  collapse to one (PreProcessXmlString), so offsets count collapsed text;
- a whitespace-only text node is dropped when it is the first thing in a
  block element (ldomElementWriter::onText), or when it sits beside a block
  element (initNodeRendMethod removes those around boxed blocks);
- offsets count Unicode code points (lChar32), not UTF-16 units.

Comments split text into separate nodes in both crengine and a browser DOM,
so they are kept as separators. The same rules are implemented for the
browser in ``web/ui/static/reader/xpointer.js``; tests check the two agree.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field

from bookshelf.formats.parsed import FormatError
from bookshelf.formats.safexml import parse_content_document

# Elements crengine displays as blocks by default (its HTML element table); book CSS
# could change this, which crengine would honour and we do not.
BLOCK = frozenset(
    "address article aside blockquote body caption center dd details dialog dir div dl dt fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html legend li main menu nav ol p "
    "pre section summary table tbody td tfoot th thead tr ul".split()
)
PRE = frozenset(("pre", "textarea"))
MAX_XHTML = 32 * 1024 * 1024
_STEP = re.compile(r"([A-Za-z_][\w.-]*|text\(\))(?:\[(\d+)\])?")
_SPACES = re.compile(r" {2,}")
_CONTROL = str.maketrans("\r\n\t", "   ")


@dataclass
class Text:
    raw: str
    pre: bool
    value: str = ""  # as crengine stores it

    def __post_init__(self) -> None:
        self.value = self.raw if self.pre else collapse(self.raw)


@dataclass
class Element:
    name: str
    children: list[Element | Text] = field(default_factory=list)
    parent: Element | None = None


@dataclass(frozen=True)
class Point:
    """A resolved position: an element, or a text node and a code-point offset in its crengine text."""

    node: Element | Text
    parent: Element
    offset: int | None = None


def collapse(raw: str) -> str:
    return _SPACES.sub(" ", raw.translate(_CONTROL))


def raw_offset(raw: str, collapsed_offset: int) -> int:
    """The offset in ``raw`` of the character at ``collapsed_offset`` of ``collapse(raw)``."""
    seen, i, prev_space = 0, 0, False
    while i < len(raw) and seen < collapsed_offset:
        space = raw[i] in " \r\n\t"
        if not (space and prev_space):
            seen += 1
        prev_space = space
        i += 1
    while 0 < i < len(raw) and prev_space and raw[i] in " \r\n\t":  # the rest of a collapsed run
        i += 1
    return i


def collapsed_offset(raw: str, offset: int) -> int:
    return len(collapse(raw[:offset]))


# -- building crengine's tree from XHTML ---------------------------------------------------------
def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _is_space(text: str) -> bool:
    return text.strip(" \r\n\t") == ""


def _build(el: ET.Element, parent: Element | None, pre: bool) -> Element:
    node = Element(_local(el.tag), parent=parent)
    pre = pre or node.name in PRE
    # Source order: el.text, then each child and its tail. A comment or PI is no node, but it
    # ends the text before it, as it does in crengine and in a DOM.
    pieces: list[ET.Element | str | None] = [el.text]
    for child in el:
        pieces.append(child if isinstance(child.tag, str) else None)
        pieces.append(child.tail)
    items: list[Element | Text] = []
    for piece in pieces:
        if piece is None or piece == "":
            continue
        if isinstance(piece, str):
            items.append(Text(piece, pre))
        else:
            items.append(_build(piece, node, pre))
    node.children = _kept(node, items, pre)
    return node


def _kept(parent: Element, items: list[Element | Text], pre: bool) -> list[Element | Text]:
    if pre:
        return items
    block_parent = parent.name in BLOCK
    kept: list[Element | Text] = []
    for i, item in enumerate(items):
        if isinstance(item, Text) and _is_space(item.raw):
            before = items[i - 1] if i else None
            after = items[i + 1] if i + 1 < len(items) else None
            if (block_parent and not kept) or _is_block(before) or _is_block(after):
                continue
        kept.append(item)
    return kept


def _is_block(item: Element | Text | None) -> bool:
    return isinstance(item, Element) and item.name in BLOCK


def parse_xhtml(data: bytes) -> Element:
    """The ``<body>`` of one content document, as crengine holds it."""
    root = parse_content_document(data, "content document", MAX_XHTML)
    body = next((el for el in root.iter() if _local(el.tag) == "body"), None)
    if body is None:
        raise FormatError("The content document has no <body>.", "bad_xml")
    return _build(body, None, False)


# -- XPointer strings --------------------------------------------------------------------------
@dataclass(frozen=True)
class XPointer:
    fragment: int  # 1-based spine index
    steps: tuple[tuple[str, int], ...]  # below the fragment's <body>: (name or "text()", 1-based index)
    offset: int | None

    @classmethod
    def parse(cls, value: str) -> XPointer | None:
        """A KOReader XPointer of a reflowable book, or None when ``value`` is not one."""
        head = re.match(r"/body/DocFragment\[(\d+)\]/body(?=/|\.|$)", value)
        if not head or int(head.group(1)) < 1:
            return None
        rest, offset = value[head.end() :], None
        point = re.search(r"\.(\d+)$", rest)
        if point:
            offset, rest = int(point.group(1)), rest[: point.start()]
        steps: list[tuple[str, int]] = []
        for part in rest.split("/")[1:]:
            m = _STEP.fullmatch(part)
            if not m or (m.group(2) is not None and int(m.group(2)) < 1):
                return None
            steps.append((m.group(1).lower(), int(m.group(2) or 1)))
        if any(name == "text()" for name, _ in steps[:-1]):
            return None
        return cls(int(head.group(1)), tuple(steps), offset)

    def __str__(self) -> str:
        return xpointer_string(self.fragment, self.steps, self.offset, None)


def xpointer_string(
    fragment: int, steps: tuple[tuple[str, int], ...], offset: int | None, counts: list[int] | None
) -> str:
    """The string KOReader writes: an index only where siblings share the name (``counts``: how many)."""
    parts = [f"/body/DocFragment[{fragment}]/body"]
    for i, (name, index) in enumerate(steps):
        many = counts is None or counts[i] > 1
        parts.append(f"/{name}[{index}]" if many else f"/{name}")
    return "".join(parts) + (f".{offset}" if offset is not None else "")


def _matches(item: Element | Text, name: str) -> bool:
    return isinstance(item, Text) if name == "text()" else isinstance(item, Element) and item.name == name


def resolve(body: Element, xp: XPointer) -> Point | None:
    """The node and offset an XPointer names in this document, or None when the path does not resolve."""
    node: Element | Text = body
    parent = body
    for name, index in xp.steps:
        if not isinstance(node, Element):
            return None
        same = [c for c in node.children if _matches(c, name)]
        if index > len(same):
            return None
        parent, node = node, same[index - 1]
    if isinstance(node, Text):
        offset = xp.offset or 0
        if offset > len(node.value):
            return None
        return Point(node, parent, offset)
    if xp.offset is not None and xp.offset > len(node.children):
        return None
    return Point(node, parent, None)


def xpointer_of(body: Element, fragment: int, node: Element | Text, offset: int | None = None) -> str:
    """The XPointer of ``node`` (and a crengine offset into it when it is text)."""
    steps: list[tuple[str, int]] = []
    counts: list[int] = []
    current: Element | Text = node
    parent = _parent_of(body, node)
    while parent is not None:
        name = "text()" if isinstance(current, Text) else current.name
        same = [c for c in parent.children if _matches(c, name)]
        steps.append((name, next(i for i, c in enumerate(same, 1) if c is current)))
        counts.append(len(same))
        current, parent = parent, parent.parent
    steps.reverse()
    counts.reverse()
    point = offset if isinstance(node, Text) else None
    return xpointer_string(fragment, tuple(steps), point if point is not None else None, counts)


def _parent_of(body: Element, node: Element | Text) -> Element | None:
    if isinstance(node, Element):
        return node.parent
    for el in elements(body):
        if any(c is node for c in el.children):
            return el
    return None


def elements(body: Element) -> Iterator[Element]:
    stack = [body]
    while stack:
        el = stack.pop()
        yield el
        stack.extend(reversed([c for c in el.children if isinstance(c, Element)]))


def texts(body: Element) -> Iterator[Text]:
    """Text nodes in document order."""
    for el in elements(body):
        yield from (c for c in el.children if isinstance(c, Text))


def text_in_order(body: Element) -> Iterator[Text]:
    def walk(el: Element) -> Iterator[Text]:
        for c in el.children:
            if isinstance(c, Text):
                yield c
            else:
                yield from walk(c)

    return walk(body)


def text_from(body: Element, point: Point, length: int = 40) -> str:
    """Up to ``length`` characters of crengine text starting at ``point`` (for checking a position)."""
    out: list[str] = []
    started = False
    start_el = point.node if isinstance(point.node, Element) else None
    for text in text_in_order(body):
        if not started:
            if text is point.node:
                started = True
                out.append(text.value[point.offset or 0 :])
            elif start_el is not None and _inside(text, start_el, body):
                started = True
                out.append(text.value)
            continue
        out.append(text.value)
        if sum(map(len, out)) >= length:
            break
    return "".join(out)[:length]


def _inside(text: Text, el: Element, body: Element) -> bool:
    return any(t is text for t in text_in_order(el))


def find_text(body: Element, fragment: int, needle: str) -> str | None:
    """The XPointer of the first occurrence of ``needle`` within one crengine text node."""
    for text in text_in_order(body):
        at = text.value.find(needle)
        if at >= 0:
            return xpointer_of(body, fragment, text, at)
    return None
