"""XML parsing for untrusted book files: no entity declarations, no network, bounded size."""

from __future__ import annotations

import html.entities
import re
import xml.etree.ElementTree as ET

from bookshelf.formats.parsed import FormatError

MAX_XML = 16 * 1024 * 1024
_UTF16 = {b"\xff\xfe": "utf-16", b"\xfe\xff": "utf-16", b"<\x00": "utf-16-le", b"\x00<": "utf-16-be"}
_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.S)


def _as_text(data: bytes) -> str | bytes:
    """UTF-16 documents are decoded so the entity guard below sees real characters. Expat takes a
    document as UTF-16 from its first two bytes (a BOM, or '<' and a zero byte in either order)
    even with no declaration, so any of those counts."""
    codec = _UTF16.get(data[:2])
    if codec:
        text = data.decode(codec, errors="replace").removeprefix("\ufeff")
        return _DECL.sub("", text, count=1)
    return data


def _guarded(data: bytes, what: str, max_bytes: int) -> str | bytes:
    if len(data) > max_bytes:
        raise FormatError(f"The {what} is larger than {max_bytes // 1024 // 1024} MiB.", "too_large")
    text = _as_text(data)
    probe = text if isinstance(text, str) else text.decode("latin-1")
    # Entity declarations are how billion-laughs and external-entity attacks start;
    # real book metadata never needs them, so refuse rather than try to defuse.
    if "<!ENTITY" in probe:
        raise FormatError(f"The {what} declares XML entities, which are not allowed.", "bad_xml")
    return text


def parse_xml(data: bytes, what: str, max_bytes: int = MAX_XML) -> ET.Element:
    """Parse ``data`` strictly; ``what`` names the document in the error sentence."""
    return _parse(_guarded(data, what, max_bytes), what, ET.XMLParser())


def parse_content_document(data: bytes, what: str, max_bytes: int) -> ET.Element:
    """An XHTML content document as a reader lays it out: comments and processing instructions
    kept (they are nodes KOReader's positions count past) and HTML's named entities known."""
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True, insert_pis=True))
    parser.entity.update({name: chr(code) for name, code in html.entities.name2codepoint.items()})
    return _parse(_guarded(data, what, max_bytes), what, parser)


def _parse(text: str | bytes, what: str, parser: ET.XMLParser) -> ET.Element:
    try:
        parser.feed(text)
        return parser.close()
    except ET.ParseError as exc:
        raise FormatError(f"The {what} is not well-formed XML ({exc}).", "bad_xml") from exc
    except (ValueError, RecursionError) as exc:
        raise FormatError(f"The {what} could not be parsed as XML ({exc}).", "bad_xml") from exc


def local(tag: object) -> str:
    """The tag name without its namespace; comments and PIs give ''."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def attr(el: ET.Element, name: str) -> str | None:
    """An attribute by local name, whatever namespace prefix the file used."""
    if name in el.attrib:
        return el.attrib[name]
    for key, value in el.attrib.items():
        if local(key) == name:
            return value
    return None
