"""Turning providers' loose field formats (HTML, dates, ISBNs, language codes) into plain values."""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import unescape
from html.parser import HTMLParser

# Tags after which a description paragraph ends; the rest are inline markup to drop.
_BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data.replace("\n", " "))  # source newlines are just whitespace in HTML


def strip_html(text: str | None) -> str | None:
    """Plain text from a description holding simple HTML: <p> gives a blank line, <br> a newline."""
    if not text:
        return None
    if "<" not in text:
        cleaned = unescape(text)
    else:
        parser = _TextExtractor()
        parser.feed(text)
        parser.close()
        cleaned = "".join(parser.parts)
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in cleaned.split("\n")]
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if line:
            current.append(line)
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return "\n\n".join(paragraphs) or None


def clean_isbn(raw: str | None) -> str | None:
    """Digits (and a final X) only, or None when it cannot be an ISBN-10 or ISBN-13."""
    if not raw:
        return None
    value = re.sub(r"[\s\-‐-―]", "", raw).upper()
    if value.lower().startswith("isbn"):
        value = value[4:].lstrip(":")
    if re.fullmatch(r"\d{9}[\dX]", value) and _isbn10_ok(value):
        return value
    if re.fullmatch(r"\d{13}", value) and _isbn13_ok(value):
        return value
    return None


def _isbn10_ok(value: str) -> bool:
    total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(value))
    return total % 11 == 0


def _isbn13_ok(value: str) -> bool:
    total = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(value))
    return total % 10 == 0


def to_isbn13(isbn: str | None) -> str | None:
    """The ISBN-13 form of a valid ISBN (ISBN-10s gain the 978 prefix)."""
    value = clean_isbn(isbn)
    if value is None or len(value) == 13:
        return value
    body = "978" + value[:9]
    check = (10 - sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(body)) % 10) % 10
    return body + str(check)


def to_isbn10(isbn: str | None) -> str | None:
    """The ISBN-10 form, which only 978-prefixed ISBN-13s have."""
    value = clean_isbn(isbn)
    if value is None or len(value) == 10:
        return value
    if not value.startswith("978"):
        return None
    body = value[3:12]
    check = (11 - sum((10 - i) * int(c) for i, c in enumerate(body)) % 11) % 11
    return body + ("X" if check == 10 else str(check))


def split_isbns(values: Iterable[str | None]) -> tuple[str | None, str | None]:
    """The first valid ISBN-10 and ISBN-13 among ``values``."""
    isbn10 = isbn13 = None
    for raw in values:
        value = clean_isbn(raw)
        if value and len(value) == 10 and isbn10 is None:
            isbn10 = value
        elif value and len(value) == 13 and isbn13 is None:
            isbn13 = value
    return isbn10, isbn13


def year_from(value: str | int | None) -> int | None:
    """The year in "1990", "1990-09", "1990-09-01" or "September 1, 1990"."""
    if isinstance(value, int):
        return value if 0 < value < 10000 else None
    if not value:
        return None
    match = re.search(r"(?<!\d)(\d{4})(?!\d)", value)
    return int(match.group(1)) if match else None


# Open Library and Hardcover also use three-letter MARC / ISO 639-2 codes; the
# library stores BCP 47 two-letter codes, so map the languages books commonly use.
_THREE_TO_TWO = {
    "ara": "ar", "ben": "bn", "bul": "bg", "cat": "ca", "chi": "zh", "zho": "zh", "cze": "cs",
    "ces": "cs", "dan": "da", "dut": "nl", "nld": "nl", "eng": "en", "est": "et", "fin": "fi",
    "fre": "fr", "fra": "fr", "ger": "de", "deu": "de", "gre": "el", "ell": "el", "heb": "he",
    "hin": "hi", "hrv": "hr", "hun": "hu", "ice": "is", "isl": "is", "ind": "id", "ita": "it",
    "jpn": "ja", "kor": "ko", "lat": "la", "lav": "lv", "lit": "lt", "nor": "no", "nob": "nb",
    "per": "fa", "fas": "fa", "pol": "pl", "por": "pt", "rum": "ro", "ron": "ro", "rus": "ru",
    "slo": "sk", "slk": "sk", "slv": "sl", "spa": "es", "srp": "sr", "swe": "sv", "tha": "th",
    "tur": "tr", "ukr": "uk", "vie": "vi", "wel": "cy", "cym": "cy", "gle": "ga", "glg": "gl",
    "baq": "eu", "eus": "eu", "epo": "eo", "afr": "af", "alb": "sq", "sqi": "sq", "arm": "hy",
}


def language_code(value: str | None) -> str | None:
    """A BCP 47 primary language subtag where possible: "/languages/eng" and "en-GB" give "en"."""
    if not value:
        return None
    code = value.rsplit("/", 1)[-1].strip().lower().replace("_", "-").split("-", 1)[0]
    if len(code) == 2 and code.isalpha():
        return code
    if len(code) == 3:
        return _THREE_TO_TWO.get(code, code)
    return None


def positive_int(value: object) -> int | None:
    """An int > 0 from a JSON value, else None (providers send 0 for "unknown")."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if value > 0 else None


def search_title(title: str) -> str:
    """A title cut down for searching: no subtitle after ":" and no trailing "(...)" or "[...]"."""
    main = title.split(":", 1)[0] if ":" in title.strip(":") else title
    main = re.sub(r"\s*[(\[][^)\]]*[)\]]\s*$", "", main)
    return main.strip() or title.strip()


def unique(values: Iterable[str]) -> list[str]:
    """Non-empty values, stripped, first occurrence kept (case-insensitively)."""
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        value = value.strip()
        if value and value.casefold() not in seen:
            seen.add(value.casefold())
            out.append(value)
    return out
