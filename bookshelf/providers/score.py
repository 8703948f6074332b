"""How well a provider's candidate matches a file: ISBN, title and author evidence in 0..1."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Protocol

from bookshelf.folding import fold
from bookshelf.providers.base import Candidate
from bookshelf.providers.normalise import to_isbn13

# Leading articles dropped before comparing titles ("The Hobbit" == "Hobbit").
_ARTICLES = {
    "the",
    "a",
    "an",
    "le",
    "la",
    "les",
    "l",
    "der",
    "die",
    "das",
    "el",
    "los",
    "las",
    "il",
    "lo",
    "gli",
    "de",
    "het",
    "een",
    "un",
    "une",
}
_NAME_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "phd"}

ISBN_MATCH_FLOOR = 0.7  # an equal ISBN is near-proof whatever the titles say
ISBN_MISMATCH_FACTOR = 0.85  # a different ISBN may still be another edition of the same work
UNKNOWN_AUTHOR_CREDIT = 0.5
ISBN_UNKNOWN_FACTOR = 0.95  # the file has an ISBN the candidate cannot confirm


class Query(Protocol):
    isbn: str | None
    title: str | None
    authors: list[str]


def match_text(text: str) -> str:
    """Search-folded (bookshelf.folding), punctuation turned into spaces, whitespace collapsed."""
    plain = fold(text)
    plain = plain.replace("&", " and ").replace("'", "").replace("’", "")
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


def title_key(title: str) -> str:
    words = match_text(title).split()
    if len(words) > 1 and words[0] in _ARTICLES:
        words = words[1:]
    return " ".join(words)


def title_similarity(a: str, b: str) -> float:
    """The best of: whole titles, and each title without its subtitle; ratio or token overlap."""
    best = 0.0
    for left in _title_forms(a):
        for right in _title_forms(b):
            if not left or not right:
                continue
            ratio = SequenceMatcher(None, left, right).ratio()
            lt, rt = set(left.split()), set(right.split())
            overlap = len(lt & rt) / len(lt | rt)
            best = max(best, ratio, overlap)
    return best


def _title_forms(title: str) -> set[str]:
    forms = {title_key(title)}
    for sep in (":", " - ", "("):
        if sep in title:
            forms.add(title_key(title.split(sep, 1)[0]))
    return forms


def surname(name: str) -> str:
    """The family name: before the comma in "Herbert, Frank", else the last word."""
    if "," in name:
        words = match_text(name.split(",", 1)[0]).split()
    else:
        words = [w for w in match_text(name).split() if w not in _NAME_SUFFIXES]
    return words[-1] if words else ""


def author_similarity(wanted: list[str], found: list[str]) -> float:
    """Share of the file's authors whose surname appears among the candidate's."""
    mine = {s for s in (surname(a) for a in wanted) if s}
    theirs = {s for s in (surname(a) for a in found) if s}
    if not mine or not theirs:
        return 0.0
    return len(mine & theirs) / len(mine)


def match_score(query: Query, candidate: Candidate) -> float:
    """0..1: equal ISBNs dominate; otherwise title (60 %) and authors (40 %)."""
    parts: list[tuple[float, float]] = []
    if query.title and candidate.title:
        full = candidate.title + (f": {candidate.subtitle}" if candidate.subtitle else "")
        parts.append((0.6, max(title_similarity(query.title, candidate.title), title_similarity(query.title, full))))
    elif query.title:
        parts.append((0.6, 0.0))
    if query.authors:
        # A candidate without authors is unconfirmed, not contradicted: half credit.
        authors = author_similarity(query.authors, candidate.authors) if candidate.authors else UNKNOWN_AUTHOR_CREDIT
        parts.append((0.4, authors))
    base = sum(w * s for w, s in parts) / sum(w for w, _ in parts) if parts else 0.0

    wanted = to_isbn13(query.isbn)
    theirs = {i for i in (to_isbn13(candidate.isbn13), to_isbn13(candidate.isbn10)) if i}
    if wanted and wanted in theirs:
        score = ISBN_MATCH_FLOOR + (1 - ISBN_MATCH_FLOOR) * (base if parts else 1.0)
    elif wanted and theirs:
        score = base * ISBN_MISMATCH_FACTOR
    elif wanted:
        score = base * ISBN_UNKNOWN_FACTOR
    else:
        score = base
    return round(min(1.0, max(0.0, score)), 4)


def rank(query: Query, candidates: list[Candidate]) -> list[tuple[float, Candidate]]:
    """Candidates best first; ties keep the providers' order (sorted() is stable)."""
    scored = [(match_score(query, c), c) for c in candidates]
    return sorted(scored, key=lambda pair: -pair[0])
