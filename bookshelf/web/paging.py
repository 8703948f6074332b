"""The one rule for whole-number query parameters (page, limit, perPage, facetLimit and the rest).

Each parameter is declared once, with its bounds; that declaration both parses
requests and publishes the parameter in the OpenAPI document, so the spec and
the handler cannot disagree. Only ASCII digits are numbers here: Python's int()
also takes " 5", "1_0" and other scripts' digits ("٣"), and a 4,301-digit string
raises, so none of those reach it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from bookshelf.errors import InvalidInput
from bookshelf.web.routing import query_param

# Far past any library, and small enough that (page - 1) * limit stays a 64-bit SQLite integer.
MAX_PAGE = 1_000_000
_WHOLE = re.compile(r"-?[0-9]+")
_MAX_DIGITS = 18  # anything longer is out of every bound, and stays clear of int()'s digit limit


def whole_number(name: str, raw: str, low: int, high: int | None) -> int:
    """``raw`` as an int within [low, high], or InvalidInput naming the field and its bounds."""
    bound = f"from {low} to {high}" if high is not None else f"at least {low}"
    if not _WHOLE.fullmatch(raw):
        raise InvalidInput(f"{name} must be a whole number {bound}",
                           details=[{"field": name, "message": f"not a whole number; {bound}"}])  # fmt: skip
    digits = raw.lstrip("-").lstrip("0")
    value = int(raw) if len(digits) <= _MAX_DIGITS else (-1 if raw.startswith("-") else 1) * 10**_MAX_DIGITS
    if value < low or (high is not None and value > high):
        raise InvalidInput(f"{name} must be {bound}", details=[{"field": name, "message": bound}])
    return value


@dataclass(frozen=True)
class WholeNumber:
    """A bounded whole-number query parameter: parsed and published from this one definition."""

    name: str
    default: int
    low: int
    high: int
    description: str = ""

    def parse(self, request: Request) -> int:
        raw = request.query_params.get(self.name)
        if raw is None or raw == "":
            return self.default
        return whole_number(self.name, raw, self.low, self.high)

    def param(self) -> dict[str, Any]:
        schema = {"type": "integer", "minimum": self.low, "maximum": self.high, "default": self.default}
        return query_param(self.name, schema, self.description)


PAGE = WholeNumber("page", 1, 1, MAX_PAGE)
# A comic or PDF page rendered as an image (OPDS page streaming and the web reader).
IMAGE_WIDTH = WholeNumber("maxWidth", 0, 0, 1_000_000, "Widest image wanted, in pixels (0: as stored)")


def limit(default: int, high: int, name: str = "limit", description: str = "") -> WholeNumber:
    return WholeNumber(name, default, 1, high, description)
