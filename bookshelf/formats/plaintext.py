"""HTML fragments from book metadata turned into tidy plain text, and plain text back into small HTML."""

from __future__ import annotations

import html
import re

_PARA_END = re.compile(r"<\s*(/p|/div|/h[1-6]|/blockquote|/ul|/ol|/table)\b[^>]*>", re.I)
_LINE_END = re.compile(r"<\s*(br|/tr)\b[^>]*>", re.I)
_LIST_ITEM = re.compile(r"<\s*li\b[^>]*>", re.I)
_DROP = re.compile(r"<\s*(script|style)\b.*?<\s*/\s*\1\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]*>", re.S)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


def html_to_text(fragment: str | None) -> str | None:
    """Tags stripped, entities decoded, paragraphs kept as blank-line separated blocks."""
    if not fragment:
        return None
    text = _DROP.sub("", fragment)
    text = _LIST_ITEM.sub("\n• ", text)
    text = _PARA_END.sub("\n\n", text)
    text = _LINE_END.sub("\n", text)
    text = _TAG.sub("", text)
    text = html.unescape(text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    paragraphs: list[str] = []
    for line in lines:
        if line:
            paragraphs.append(line)
        elif paragraphs and paragraphs[-1] != "":
            paragraphs.append("")
    result = "\n".join(paragraphs).strip()
    return re.sub(r"\n{3,}", "\n\n", result) or None


def clean(value: str | None) -> str | None:
    """Whitespace collapsed; empty strings become None."""
    if value is None:
        return None
    value = _SPACES.sub(" ", value.replace("\n", " ")).strip()
    return value or None


def description_html(text: str) -> str:
    """Plain text as the small HTML readers expect, escaped so it survives the round trip."""
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(
        "<p>" + "<br/>".join(html.escape(line.strip()) for line in p.split("\n")) + "</p>" for p in paragraphs
    )
