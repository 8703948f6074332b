"""A book's Hardcover id: found by ISBN, then by a confident title and author search, or set by the user."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from bookshelf import clock
from bookshelf.db import Database
from bookshelf.db import hardcover as rows
from bookshelf.db.hardcover import Link, Pending
from bookshelf.errors import InvalidInput, NotFound
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


class UserLinks:
    """Links an account set by hand (method user): automatic linking never replaces them."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, user_id: str, book_id: str) -> dict[str, Any]:
        async with self.db.read() as conn:
            if not await rows.book_exists(conn, book_id):
                raise NotFound("Book not found")
            link = await rows.get_link(conn, user_id, book_id)
        if link is None:
            raise NotFound("This book has no Hardcover link")
        return link.to_json()

    async def set(self, user_id: str, book_id: str, body: Any) -> dict[str, Any]:
        hardcover_id, edition_id = _link_body(body)
        link = Link(book_id, hardcover_id, edition_id, None, "user", 1.0, user_set=True)
        at = clock.now_iso()
        async with self.db.write() as conn:
            if not await rows.book_exists(conn, book_id):
                raise NotFound("Book not found")
            await rows.save_link(conn, user_id, link, at)
            await rows.log(conn, user_id, book_id, hardcover_id, "link", "linked", "linked by the user", at)
        return link.to_json()

    async def delete(self, user_id: str, book_id: str) -> None:
        async with self.db.write() as conn:
            if not await rows.book_exists(conn, book_id):
                raise NotFound("Book not found")
            if not await rows.delete_link(conn, user_id, book_id):
                raise NotFound("This book has no Hardcover link")


def _link_body(body: Any) -> tuple[int, int | None]:
    if not isinstance(body, dict):
        raise InvalidInput("Body must be a JSON object")
    unknown = sorted(set(body) - {"bookId", "editionId"})
    problems = [{"field": name, "message": "unknown field"} for name in unknown]
    values: list[int | None] = []
    for name, required in (("bookId", True), ("editionId", False)):
        value = body.get(name)
        if value is None and not required:
            values.append(None)
        elif isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31:
            values.append(value)
        else:
            problems.append({"field": name, "message": "a positive Hardcover id (integer)"})
    if problems:
        raise InvalidInput("Invalid Hardcover link", details=problems)
    book_id, edition_id = values
    assert book_id is not None  # required above
    return book_id, edition_id
