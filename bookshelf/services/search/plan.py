"""Search plans: what a reader typed -> words with their near misses -> FTS5 expressions.

Every expression is built by :func:`phrase`, the one place text is quoted, so no
input is FTS syntax. Words are folded by :mod:`bookshelf.folding`, as the index is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bookshelf.folding import fold
from bookshelf.services.search.vocabulary import Vocabulary, allowed_typos

MAX_QUERY_CHARS = 2000
MAX_WORDS = 12
MAX_WORD_CHARS = 64
MAX_CORRECTIONS = 3
# Word sets tried when no book has every word: each costs two counts, and each later one
# excludes the books of all earlier ones, so the expressions grow with their number.
MAX_FALLBACK_LEVELS = 8
_TOKEN = re.compile(r"[^\W_]+")


def words_of(query: str) -> list[str]:
    """The query's words as the index tokenizes them (letters and digits), at most MAX_WORDS."""
    words = _TOKEN.findall(fold((query or "")[:MAX_QUERY_CHARS]))
    return [w[:MAX_WORD_CHARS] for w in words[:MAX_WORDS]]


def phrase(word: str, prefix: bool = False) -> str:
    """The ONE quoting function: any text becomes a single FTS5 string, optionally a prefix."""
    quoted = '"' + word.replace('"', '""') + '"'
    return quoted + "*" if prefix else quoted


def _group(alternatives: list[str], prefix_first: bool) -> str:
    parts = [phrase(w, prefix=prefix_first and i == 0) for i, w in enumerate(alternatives)]
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


@dataclass
class Plan:
    """A query ready to run: each word with its near misses, turned into FTS5 expressions on demand."""

    words: list[str]
    groups: list[list[str]]  # per word: the word itself, then its corrections
    prefix_last: bool = False
    columns: str | None = None
    corrections: dict[str, list[str]] = field(default_factory=dict)

    def expression(self, keep: Sequence[int] | None = None, corrected: bool = False) -> str:
        """Every word of ``keep`` (all by default) must match, exactly or (``corrected``) near enough."""
        last = len(self.groups) - 1
        indexes = range(len(self.groups)) if keep is None else keep
        parts = [
            _group(self.groups[i] if corrected else self.groups[i][:1], self.prefix_last and i == last) for i in indexes
        ]
        body = " AND ".join(parts)
        return f"{self.columns} : ({body})" if self.columns else body

    def has_corrections(self, keep: Sequence[int] | None = None) -> bool:
        indexes = range(len(self.groups)) if keep is None else keep
        return any(len(self.groups[i]) > 1 for i in indexes)

    @property
    def exact(self) -> str:
        return self.expression()

    @property
    def corrected(self) -> str | None:
        return self.expression(corrected=True) if self.corrections else None

    def superset(self) -> str:
        """Every book the whole query matches, corrections included."""
        return self.corrected or self.exact

    def fallbacks(self, matches: Callable[[int], bool]) -> list[list[int]]:
        """When no book has every word: the word sets to try instead, most words first.

        Words that match nothing are dropped first (Meilisearch's ``matchingStrategy: last``
        drops from the right whatever they match; this keeps a good word that happens to
        be last). Then each one of the rest in turn, rightmost first, so a word cut short
        anywhere ("brothe karamazov") still leaves the others to find the book; then the
        rightmost words, one at a time. ``matches(i)`` says whether word ``i`` alone
        (corrections included) finds a book.
        """
        kept = [i for i in range(len(self.groups)) if matches(i)]
        levels = [kept] if len(kept) < len(self.groups) else []
        if len(kept) >= 2:
            levels += [kept[:j] + kept[j + 1 :] for j in reversed(range(len(kept)))]
        levels += [kept[:m] for m in range(len(kept) - 2, 0, -1)]
        unique: list[list[int]] = []
        for level in levels:
            if level and level not in unique:
                unique.append(level)
        return unique[:MAX_FALLBACK_LEVELS]


def build_plan(query: str, vocabulary: Vocabulary | None, columns: str | None = None) -> Plan | None:
    """Turn ``query`` into a plan; None when it holds no word at all."""
    words = words_of(query)
    if not words:
        return None
    last = len(words) - 1
    prefix_last = len(words[last]) >= 2  # a one-letter prefix would scan half the index
    groups: list[list[str]] = []
    corrections: dict[str, list[str]] = {}
    for i, word in enumerate(words):
        alternatives = [word]
        # Known words get their near neighbours too (hunter also finds Hunger), ranked after exact matches.
        if vocabulary is not None and allowed_typos(word):
            near = vocabulary.near(word, allowed_typos(word), MAX_CORRECTIONS + 2)
            if prefix_last and i == last:  # the prefix already finds longer words starting with it
                near = [n for n in near if not n.startswith(word)]
            near = near[:MAX_CORRECTIONS]
            if near:
                corrections[word] = near
                alternatives += near
        groups.append(alternatives)
    return Plan(words, groups, prefix_last, columns, corrections)
