"""The search vocabulary in memory, and near-miss lookup for typo correction.

A deletion neighbourhood (the SymSpell idea): two words within edit distance
k share a string reachable from both by at most k deletions. Every term's
first ``PREFIX`` letters are indexed under all of their deletions up to
``MAX_DISTANCE``; a query word looks up its own deletions and every hit is
checked with a real (optimal string alignment) edit distance. Restricting the
deletions to a prefix is what keeps the index a few bytes per term rather
than per letter combination; the full word is still compared at the end.

The index is packed into sorted arrays of 64-bit integers (key hash in the
high bits, term number in the low bits), about 8 bytes per deletion instead of
a Python object each, so 100,000 terms fit in a few tens of MB.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable

PREFIX = 7
MAX_DISTANCE = 2
MIN_LENGTH = 3  # a 4-letter word with one typo may be a 3-letter term
_TERM_BITS = 22
MAX_TERMS = (1 << _TERM_BITS) - 1
_TERM_MASK = (1 << _TERM_BITS) - 1
_HASH_MASK = (1 << 63) - 1
_BUCKET_SHIFT = 55  # 256 buckets by the top 8 bits of a 63-bit hash
NEAR_CACHE_SIZE = 4096  # query words remembered per snapshot (a few hundred KB at most)


def allowed_typos(word: str) -> int:
    """How many edits a query word may carry: 4+ letters one, 8+ letters two (API.md, Search)."""
    if len(word) >= 8:
        return 2
    if len(word) >= 4:
        return 1
    return 0


def deletions(word: str, distance: int) -> set[str]:
    """``word`` and every string made from it by removing up to ``distance`` letters."""
    found = {word}
    frontier = {word}
    for _ in range(distance):
        frontier = {w[:i] + w[i + 1 :] for w in frontier if len(w) > 1 for i in range(len(w))}
        found |= frontier
    return found


def edit_distance(a: str, b: str, bound: int) -> int:
    """Optimal string alignment distance (a swap of neighbours counts once); ``bound + 1`` once exceeded."""
    if abs(len(a) - len(b)) > bound:
        return bound + 1
    if a == b:
        return 0
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        low = current[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
            low = min(low, value)
        if low > bound:
            return bound + 1
        previous2, previous = previous, current
    return min(previous[-1], bound + 1)


def _key_hash(key: str) -> int:
    return hash(key) & _HASH_MASK


class Vocabulary:
    """A snapshot of index terms with their document counts; immutable once built."""

    def __init__(self, terms: Iterable[tuple[str, int]], version: int = 0) -> None:
        self.version = version
        pairs = sorted(terms)[:MAX_TERMS]
        self.terms: list[str] = [t for t, _ in pairs]
        self.docs = array("i", (d for _, d in pairs))
        buckets = [array("q") for _ in range(256)]
        for number, term in enumerate(self.terms):
            if len(term) < MIN_LENGTH or term.isdigit():
                continue
            for key in deletions(term[:PREFIX], MAX_DISTANCE):
                h = _key_hash(key)
                buckets[h >> _BUCKET_SHIFT].append(((h >> _TERM_BITS) << _TERM_BITS) | number)
        # Sorting one bucket at a time keeps the temporary Python ints small.
        self._buckets = [array("q", sorted(bucket)) for bucket in buckets]
        self._near: dict[tuple[str, int, int], list[str]] = {}

    def __len__(self) -> int:
        return len(self.terms)

    def __contains__(self, term: str) -> bool:
        i = bisect_left(self.terms, term)
        return i < len(self.terms) and self.terms[i] == term

    def has_prefix(self, prefix: str) -> bool:
        i = bisect_left(self.terms, prefix)
        return i < len(self.terms) and self.terms[i].startswith(prefix)

    def index_size(self) -> int:
        return sum(len(bucket) for bucket in self._buckets)

    def _numbers_for(self, key: str) -> Iterable[int]:
        h = _key_hash(key)
        bucket = self._buckets[h >> _BUCKET_SHIFT]
        high = h >> _TERM_BITS
        i = bisect_left(bucket, high << _TERM_BITS)
        while i < len(bucket) and bucket[i] >> _TERM_BITS == high:
            yield bucket[i] & _TERM_MASK
            i += 1

    def near(self, word: str, distance: int, limit: int = 3) -> list[str]:
        """Terms within ``distance`` edits of ``word`` (not ``word`` itself): closest, then most common, first.

        Remembered for the snapshot's life: it never changes, and the same words come back as a
        search box is typed into, a result is paged through or a household searches the same
        library (the edit distances were a quarter of a one-word search's Python time)."""
        key = (word, distance, limit)
        found = self._near.get(key)
        if found is None:
            found = self._near_uncached(word, distance, limit)
            if len(self._near) >= NEAR_CACHE_SIZE:
                self._near.clear()
            self._near[key] = found
        return list(found)

    def _near_uncached(self, word: str, distance: int, limit: int) -> list[str]:
        if distance <= 0 or not self.terms:
            return []
        seen: set[int] = set()
        found: list[tuple[int, int, str]] = []
        for key in deletions(word[:PREFIX], distance):
            for number in self._numbers_for(key):
                if number in seen:
                    continue
                seen.add(number)
                term = self.terms[number]
                if term == word:
                    continue
                d = edit_distance(word, term, distance)
                if d <= distance:
                    found.append((d, -self.docs[number], term))
        found.sort()
        return [term for _, _, term in found[:limit]]
