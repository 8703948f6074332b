"""ISBN normalisation, checksum validation and ISBN-10 <-> ISBN-13 conversion."""

from __future__ import annotations

import re

_CANDIDATE = re.compile(r"(?<![0-9Xx])(?:97[89][-\s]?)?(?:[0-9][-\s]?){9}[0-9Xx](?![0-9Xx])")


def _digits(text: str) -> str:
    return re.sub(r"[^0-9Xx]", "", text).upper()


def isbn10_check(first9: str) -> str:
    total = sum((10 - i) * int(d) for i, d in enumerate(first9))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def isbn13_check(first12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def is_valid_isbn10(isbn: str) -> bool:
    return bool(re.fullmatch(r"[0-9]{9}[0-9X]", isbn)) and isbn10_check(isbn[:9]) == isbn[9]


def is_valid_isbn13(isbn: str) -> bool:
    return (bool(re.fullmatch(r"97[89][0-9]{10}", isbn))
            and isbn13_check(isbn[:12]) == isbn[12])


def to_isbn13(isbn10: str) -> str:
    body = "978" + isbn10[:9]
    return body + isbn13_check(body)


def to_isbn10(isbn13: str) -> str | None:
    """Only 978-prefixed ISBN-13s have an ISBN-10 form."""
    if not isbn13.startswith("978"):
        return None
    body = isbn13[3:12]
    return body + isbn10_check(body)


def normalise_isbn(text: str | None) -> str | None:
    """A valid ISBN-10 or ISBN-13 from any spelling ('urn:isbn:', hyphens, spaces), else None."""
    if not text:
        return None
    text = re.sub(r"^\s*(urn:)?isbn[:\s]*", "", text.strip(), flags=re.I)
    code = _digits(text)
    if len(code) == 13 and is_valid_isbn13(code):
        return code
    if len(code) == 10 and is_valid_isbn10(code):
        return code
    return None


def both_forms(text: str | None) -> tuple[str | None, str | None]:
    """(isbn10, isbn13) derived from one ISBN of either length; (None, None) if invalid."""
    code = normalise_isbn(text)
    if code is None:
        return None, None
    if len(code) == 10:
        return code, to_isbn13(code)
    return to_isbn10(code), code


def find_isbn(text: str | None) -> str | None:
    """The first checksum-valid ISBN embedded anywhere in free text."""
    if not text:
        return None
    for match in _CANDIDATE.finditer(text):
        code = normalise_isbn(match.group(0))
        if code:
            return code
    return None
