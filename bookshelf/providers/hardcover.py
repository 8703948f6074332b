"""The Hardcover metadata provider: ISBN through editions, else title and author search."""

from __future__ import annotations

import httpx

from bookshelf.errors import UpstreamError
from bookshelf.providers.base import Candidate, LookupQuery
from bookshelf.providers.hardcover_client import (
    IMAGE_HOSTS,
    NAME,
    CallRecord,
    HardcoverClient,
    clean_token,
    default_limiter,
)
from bookshelf.providers.hardcover_models import BookDetails, Edition, SearchHit
from bookshelf.providers.normalise import search_title, split_isbns, to_isbn13, year_from
from bookshelf.providers.ratelimit import RateLimiter
from bookshelf.providers.transport import RetryPolicy

__all__ = ["IMAGE_HOSTS", "NAME", "CallRecord", "Hardcover", "HardcoverClient", "book_candidate",
           "clean_token", "default_limiter", "hit_candidate"]


class Hardcover:
    """Metadata provider over HardcoverClient: ISBN through editions, else search."""

    name = NAME

    def __init__(self, client: httpx.AsyncClient, url: str, token: str | None, *,
                 limiter: RateLimiter | None = None, policy: RetryPolicy | None = None) -> None:
        self.api = HardcoverClient(client, url, token, limiter=limiter, policy=policy)

    async def lookup(self, query: LookupQuery, limit: int = 5) -> list[Candidate]:
        if not self.api.configured:
            raise UpstreamError("Hardcover is not configured: no API token",
                                reason="not_configured")
        isbn = query.clean_isbn
        if isbn:
            found = await self._by_isbn(isbn, limit)
            if found:
                return found
        if not query.title:
            return []
        author = query.authors[0] if query.authors else None
        page = await self.api.search(search_title(query.title), author, per_page=limit)
        return [hit_candidate(hit, isbn) for hit in page.hits[:limit]]

    async def _by_isbn(self, isbn: str, limit: int) -> list[Candidate]:
        editions = await self.api.editions_by_isbn([isbn])
        candidates = []
        for book_id in dict.fromkeys(e.book_id for e in editions if e.book_id):
            book = await self.api.book_details(book_id)
            if book is not None:
                edition = next(e for e in editions if e.book_id == book_id)
                candidates.append(book_candidate(book, edition))
            if len(candidates) >= limit:
                break
        return candidates


def book_candidate(book: BookDetails, edition: Edition | None = None) -> Candidate:
    """A Candidate from book details, with the matched edition's identifiers when known."""
    edition = edition or (book.editions[0] if book.editions else None)
    return Candidate(
        source=NAME, source_id=str(book.id), title=book.title, subtitle=book.subtitle,
        authors=list(book.authors), series=book.series, series_index=book.series_position,
        isbn10=edition.isbn10 if edition else None, isbn13=edition.isbn13 if edition else None,
        publisher=edition.publisher if edition else None,
        published_year=book.release_year or year_from(edition.release_date if edition else None),
        language=edition.language if edition else None, description=book.description,
        page_count=(edition.pages if edition else None) or book.pages, genres=list(book.genres),
        cover_url=(edition.cover_url if edition else None) or book.cover_url,
    )


def hit_candidate(hit: SearchHit, isbn: str | None = None) -> Candidate:
    # The isbns of a search document span every edition: attribute only the one asked about.
    isbn10 = isbn13 = None
    if isbn and to_isbn13(isbn) in {to_isbn13(i) for i in hit.isbns}:
        isbn10, isbn13 = split_isbns([isbn])
    return Candidate(
        source=NAME, source_id=str(hit.book_id), title=hit.title, subtitle=hit.subtitle,
        authors=list(hit.authors), series=hit.series, series_index=hit.series_position,
        isbn10=isbn10, isbn13=isbn13, published_year=hit.release_year,
        description=hit.description, page_count=hit.pages, genres=list(hit.genres),
        cover_url=hit.cover_url,
    )
