"""Editable book fields: validating a typed or selected value and applying it to a Book."""

from __future__ import annotations

from typing import Any

from bookshelf.errors import InvalidInput
from bookshelf.formats.isbn import normalise_isbn
from bookshelf.models import EDITABLE_FIELDS, Book

# Fields that live in the file (embedded into EPUBs) or in its path: changing one re-organizes.
FILE_FIELDS = frozenset(
    {"title", "authors", "series", "seriesIndex", "isbn10", "isbn13", "publisher", "publishedYear", "language",
     "description", "genres", "cover"}
)  # fmt: skip
SELECTABLE = frozenset(EDITABLE_FIELDS) | {"cover"}
_TEXT_LIMITS = {"title": 500, "subtitle": 500, "series": 500, "publisher": 300, "language": 35,
                "description": 100_000}  # fmt: skip


class FieldProblem(ValueError):
    """A value out of its bounds; ``limit`` is the bound it broke (a length or a range), for the form."""

    def __init__(self, message: str, limit: int | None = None, low: int | None = None) -> None:
        super().__init__(message)
        self.limit = limit
        self.low = low


def _text(name: str, value: Any) -> str | None:
    if value is None:
        if name == "title":
            raise ValueError("must not be empty")
        return None
    if not isinstance(value, str):
        raise ValueError("must be a string or null")
    value = value.strip()
    if len(value) > _TEXT_LIMITS[name]:
        raise FieldProblem(f"must be at most {_TEXT_LIMITS[name]} characters", _TEXT_LIMITS[name])
    if name == "title" and not value:
        raise ValueError("must not be empty")
    return value or None


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of strings")
    cleaned = [" ".join(v.split()) for v in value]
    if len(cleaned) > 100 or any(len(v) > 300 for v in cleaned):
        raise FieldProblem("at most 100 entries of 300 characters", 300)
    return list(dict.fromkeys(v for v in cleaned if v))


def _isbn(name: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("must be a string or null")
    code = normalise_isbn(value)
    want = 10 if name == "isbn10" else 13
    if code is None or len(code) != want:
        raise ValueError(f"must be a valid ISBN-{want}")
    return code


def _integer(value: Any, low: int, high: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise FieldProblem(f"must be a whole number from {low} to {high}, or null", high, low)
    return value


def _index(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100_000:
        raise FieldProblem("must be a number from 0 to 100000, or null", 100_000, 0)
    return float(value)


def clean_value(name: str, value: Any) -> Any:
    """The stored form of ``value`` for API field ``name``; ValueError says what is wrong."""
    if name in _TEXT_LIMITS:
        return _text(name, value)
    if name in ("authors", "genres", "tags"):
        return _names(value)
    if name in ("isbn10", "isbn13"):
        return _isbn(name, value)
    if name == "publishedYear":
        return _integer(value, 0, 3000)
    if name == "pageCount":
        return _integer(value, 0, 1_000_000)
    if name == "seriesIndex":
        return _index(value)
    raise ValueError("is not an editable field")


def clean_changes(values: dict[str, Any], where: str) -> dict[str, Any]:
    """Validate every field of ``values`` (API names); one 400 listing each problem."""
    problems, cleaned = [], {}
    for name, value in values.items():
        if name not in EDITABLE_FIELDS:
            message = "is read-only" if name == "author" else "is not an editable field"
            problems.append({"field": f"{where}{name}", "message": message})
            continue
        try:
            cleaned[name] = clean_value(name, value)
        except ValueError as exc:
            problems.append(_problem(f"{where}{name}", exc))
    if problems:
        said = "; ".join(f"{p['field']} {p['message']}" for p in problems)
        raise InvalidInput(f"Invalid fields: {said}", details=problems)
    return cleaned


def _problem(field: str, exc: ValueError) -> dict[str, Any]:
    """One entry of error.details: the field, what is wrong, and the limit it broke where there is one."""
    problem: dict[str, Any] = {"field": field, "message": str(exc)}
    if isinstance(exc, FieldProblem) and exc.limit is not None:
        problem["limit"] = exc.limit
        if exc.low is not None:
            problem["min"] = exc.low
    return problem


def current(book: Book, name: str) -> Any:
    return getattr(book, EDITABLE_FIELDS[name])


def apply(book: Book, changes: dict[str, Any]) -> set[str]:
    """Set the cleaned ``changes`` on ``book``; returns the names whose value really changed."""
    changed = set()
    for name, value in changes.items():
        if current(book, name) != value:
            setattr(book, EDITABLE_FIELDS[name], value)
            changed.add(name)
    if "authors" in changed:
        book.author_sort = ""  # recomputed from the first author's file-as on save
    return changed
