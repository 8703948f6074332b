"""Best-effort title, authors and series from a file name, for books whose metadata is empty."""

from __future__ import annotations

import re
from pathlib import Path

_SERIES_PAREN = re.compile(
    r"^(?P<title>.+?)\s*[\(\[](?P<series>[^()\[\]]+?)\s*"
    r"(?:#|,?\s*(?:book|vol\.?|volume|no\.?)\s*)(?P<index>\d+(?:\.\d+)?)[\)\]]\s*$", re.I)
_SERIES_PART = re.compile(
    r"^(?P<series>.+?)\s*(?:#|book\s*|vol\.?\s*)?(?P<index>\d+(?:\.\d+)?)$", re.I)
_NAME_WORD = re.compile(
    r"^(?:[A-Z][a-z'’\-]+|[A-Z]\.(?:[A-Z]\.)*|[A-Z]{1,2}|\w+-\w+|"
    r"(?:van|von|de|der|da|di|le|la|du|del|bin|al))$")
# Words that appear in titles but essentially never in a person's name.
_TITLE_WORDS = {"the", "a", "an", "of", "and", "in", "on", "to", "for", "with", "my", "our",
                "der", "die", "das", "el", "los", "las", "les", "un", "une", "how", "why"}
_EXTS = re.compile(r"\.(epub|pdf|mobi|azw3?|cbz|cbr|kepub|fb2|txt)$", re.I)


def _tidy(stem: str) -> str:
    stem = _EXTS.sub("", stem)
    stem = stem.replace("_", " ")
    # Dots are word separators in scene-style names, but keep them in initials like "J.R.R."
    stem = re.sub(r"(?<=[^\s.A-Z])\.(?=\S)|(?<=\w{2})\.(?=\w{2})", " ", stem)
    return re.sub(r"\s+", " ", stem).strip(" -")


def looks_like_person(text: str) -> bool:
    """Two to four capitalised words or initials, or 'Last, First'."""
    if re.fullmatch(r"[^,]+,\s*[^,]+", text):
        text = " ".join(reversed([p.strip() for p in text.split(",")]))
    words = text.split()
    if any(w.lower() in _TITLE_WORDS for w in words):
        return False
    return 2 <= len(words) <= 4 and all(_NAME_WORD.match(w) for w in words) and not any(
        w.isdigit() for w in words)


def _authors(text: str) -> list[str]:
    return [a.strip() for a in re.split(r"\s*(?:&|;|\band\b)\s*", text) if a.strip()]


def _series_from_title(title: str) -> tuple[str, str | None, float | None]:
    match = _SERIES_PAREN.match(title)
    if match:
        return match["title"].strip(), match["series"].strip(), float(match["index"])
    return title, None, None


def parse_filename(name: str | Path) -> tuple[str | None, list[str], str | None, float | None]:
    """(title, authors, series, series_index) guessed from a file name."""
    stem = _tidy(Path(name).name)
    if not stem:
        return None, [], None, None
    parts = [p.strip() for p in re.split(r"\s+-\s+|\s+–\s+|\s+—\s+", stem) if p.strip()]
    if len(parts) >= 3:
        series_match = _SERIES_PART.match(parts[1])
        if series_match and looks_like_person(_authors(parts[0])[0]):
            title = " - ".join(parts[2:])
            return (title, _authors(parts[0]), series_match["series"].strip(),
                    float(series_match["index"]))
    if len(parts) == 2:
        first, second = parts
        # "Title - Author" when only the second half reads like a person's name.
        if looks_like_person(_authors(second)[0]) and not looks_like_person(_authors(first)[0]):
            first, second = second, first
        title, series, index = _series_from_title(second)
        return title, _authors(first), series, index
    title, series, index = _series_from_title(stem)
    return title, [], series, index
