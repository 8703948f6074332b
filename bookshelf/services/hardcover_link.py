"""Finding a book's Hardcover id: ISBN first, then title and author search with a confidence bar."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from bookshelf.db.hardcover import Link, Pending
from bookshelf.providers.hardcover import hit_candidate
from bookshelf.providers.hardcover_client import HardcoverClient
from bookshelf.providers.normalise import search_title
from bookshelf.providers.score import match_score

# A search match is trusted only this sure; below it the user confirms (API.md Decisions).
MIN_CONFIDENCE = 0.9
SEARCH_RESULTS = 5


@dataclass
class Query:
    """What match_score compares: the book's own title, authors and ISBN."""

    isbn: str | None
    title: str | None
    authors: list[str] = field(default_factory=list)


def fingerprint(book: Pending) -> str:
    """A digest of the metadata linking uses: an unlinkable book is retried only when it changes."""
    material = json.dumps([book.title, book.authors, book.isbn13, book.isbn10], ensure_ascii=False)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


@dataclass
class Outcome:
    link: Link
    status: str  # linked | needs_confirmation | not_found
    message: str


async def find_link(api: HardcoverClient, book: Pending) -> Outcome:
    """Link by ISBN (exact, one request), else by search scored against the book (one request)."""
    print_ = fingerprint(book)
    isbns = [i for i in (book.isbn13, book.isbn10) if i]
    if isbns:
        editions = [e for e in await api.editions_by_isbn(isbns) if e.book_id]
        if editions:
            best = max(editions, key=lambda e: e.pages is not None)  # an edition with a page count, if any
            link = Link(book.book_id, best.book_id, best.id, best.pages, "isbn", 1.0, fingerprint=print_)
            return Outcome(link, "linked", f"linked by ISBN to edition {best.id}")
    if not book.title.strip():
        return Outcome(Link(book.book_id, None, fingerprint=print_), "not_found", "no ISBN and no title to search")
    author = book.authors[0] if book.authors else None
    page = await api.search(search_title(book.title), author, per_page=SEARCH_RESULTS)
    query = Query(book.isbn13 or book.isbn10, book.title, list(book.authors))
    scored = sorted(((match_score(query, hit_candidate(h)), h) for h in page.hits), key=lambda p: -p[0])
    if not scored:
        return Outcome(Link(book.book_id, None, fingerprint=print_), "not_found", "no Hardcover book matches")
    score, hit = scored[0]
    if score >= MIN_CONFIDENCE:
        link = Link(book.book_id, hit.book_id, None, hit.pages, "search", score, fingerprint=print_)
        return Outcome(link, "linked", f"linked by title and author ({score:.2f})")
    candidates = [
        {
            "bookId": h.book_id,
            "title": h.title,
            "authors": h.authors,
            "releaseYear": h.release_year,
            "pages": h.pages,
            "slug": h.slug,
            "score": s,
        }
        for s, h in scored
    ]
    link = Link(book.book_id, None, method="none", confidence=score, fingerprint=print_, candidates=candidates)
    return Outcome(link, "needs_confirmation", f"best match {hit.title!r} scores {score:.2f}, below {MIN_CONFIDENCE}")
