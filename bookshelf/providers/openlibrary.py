"""Open Library client: ISBN lookup through the /isbn redirect, and search.json for title/author."""

from __future__ import annotations

from typing import Any

import httpx

from bookshelf.errors import UpstreamError
from bookshelf.providers.base import Candidate, LookupQuery
from bookshelf.providers.normalise import (
    clean_isbn,
    language_code,
    positive_int,
    search_title,
    split_isbns,
    strip_html,
    to_isbn13,
    unique,
    year_from,
)
from bookshelf.providers.ratelimit import RateLimiter
from bookshelf.providers.transport import RetryPolicy, json_body, retry_after_seconds, send

NAME = "openlibrary"
IMAGE_HOSTS = ("covers.openlibrary.org",)
# Always name the fields: the default set is large, has changed, and may leave out isbn.
SEARCH_FIELDS = ("key,title,subtitle,author_name,author_key,first_publish_year,isbn,cover_i,"
                 "cover_edition_key,number_of_pages_median,publisher,language,edition_count")
MAX_AUTHORS = 3  # each author name costs a request (editions only reference authors)
MAX_REDIRECTS = 2
MAX_GENRES = 10


def default_limiter() -> RateLimiter:
    # Identified clients reportedly get about 3 requests/s; one a second keeps us polite.
    return RateLimiter(per_minute=60, burst=5, name="Open Library")


class OpenLibrary:
    """Provider for Open Library; needs no key, but is often slow."""

    name = NAME

    def __init__(self, client: httpx.AsyncClient, base_url: str, covers_url: str, *,
                 limiter: RateLimiter | None = None, policy: RetryPolicy | None = None) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.covers_url = covers_url.rstrip("/")
        self.limiter = limiter or default_limiter()
        self.policy = policy or RetryPolicy()

    async def lookup(self, query: LookupQuery, limit: int = 5) -> list[Candidate]:
        isbn = query.clean_isbn
        if isbn:
            found = await self.by_isbn(isbn)
            if found is not None:
                return [found]
        if not query.title:
            return []
        author = query.authors[0] if query.authors else None
        return await self.search(search_title(query.title), author, limit, isbn=isbn)

    async def by_isbn(self, isbn: str) -> Candidate | None:
        """The edition behind ``/isbn/{isbn}.json`` with author names and the work's description."""
        edition = await self._get_json(f"/isbn/{isbn}.json")
        if edition is None:
            return None
        authors = []
        for ref in (edition.get("authors") or [])[:MAX_AUTHORS]:
            key = ref.get("key") if isinstance(ref, dict) else None
            author = await self._get_json(f"{key}.json") if isinstance(key, str) else None
            if author and author.get("name"):
                authors.append(str(author["name"]))
        work: dict[str, Any] = {}
        works = edition.get("works") or []
        if works and isinstance(works[0], dict) and isinstance(works[0].get("key"), str):
            work = await self._get_json(f"{works[0]['key']}.json") or {}
        return self._edition_candidate(edition, work, authors)

    async def search(self, title: str | None, author: str | None = None, limit: int = 5, *,
                     isbn: str | None = None) -> list[Candidate]:
        params = {"fields": SEARCH_FIELDS, "limit": str(max(1, limit))}
        if title:
            params["title"] = title
        if author:
            params["author"] = author
        if not title and not author:
            if not isbn:
                return []
            params["q"] = f"isbn:{isbn}"
        body = await self._get_json("/search.json", params)
        docs = (body or {}).get("docs") or []
        return [self._doc_candidate(doc, isbn) for doc in docs[:limit] if isinstance(doc, dict)]

    async def _get_json(self, path: str, params: dict[str, str] | None = None
                        ) -> dict[str, Any] | None:
        """GET a JSON document, following same-host redirects; None on 404 (an HTML page)."""
        url = httpx.URL(self.base_url + path, params=params)
        for _ in range(MAX_REDIRECTS + 1):
            request = self.client.build_request("GET", url)
            try:
                response = await send(self.client, request, limiter=self.limiter,
                                      classify=_classify, provider="Open Library",
                                      policy=self.policy)
            except UpstreamError as exc:
                if exc.reason == "not_found":
                    return None
                raise
            if response.is_redirect:
                url = _same_host_redirect(url, response)
                continue
            body = json_body(response)
            if not isinstance(body, dict):
                raise UpstreamError(f"Open Library {url.path} answered with a non-JSON body",
                                    reason="bad_response", transient=True)
            return body
        raise UpstreamError(f"Open Library {path}: too many redirects", reason="bad_response")

    def _cover(self, cover_id: object = None, isbn: str | None = None) -> str | None:
        # default=false turns "no cover" into a 404 instead of a blank placeholder image.
        if isinstance(cover_id, int) and cover_id > 0:
            return f"{self.covers_url}/b/id/{cover_id}-L.jpg?default=false"
        if isbn:
            return f"{self.covers_url}/b/isbn/{isbn}-L.jpg?default=false"
        return None

    def _edition_candidate(self, edition: dict[str, Any], work: dict[str, Any],
                           authors: list[str]) -> Candidate:
        isbn10, isbn13 = split_isbns([*(edition.get("isbn_13") or []),
                                      *(edition.get("isbn_10") or [])])
        languages = edition.get("languages") or []
        language = languages[0].get("key") if languages and isinstance(languages[0], dict) else None
        covers = [c for c in edition.get("covers") or work.get("covers") or [] if c and c > 0]
        publishers = edition.get("publishers") or []
        description = _text(edition.get("description")) or _text(work.get("description"))
        return Candidate(
            source=NAME,
            source_id=_olid(edition.get("key")),
            title=edition.get("title") or work.get("title") or None,
            subtitle=edition.get("subtitle") or None,
            authors=unique(authors),
            isbn10=isbn10,
            isbn13=isbn13,
            publisher=publishers[0] if publishers else None,
            published_year=year_from(edition.get("publish_date")),
            language=language_code(language),
            description=strip_html(description),
            page_count=positive_int(edition.get("number_of_pages")),
            genres=unique(s for s in work.get("subjects") or [] if isinstance(s, str))[:MAX_GENRES],
            cover_url=self._cover(covers[0] if covers else None, isbn13 or isbn10),
        )

    def _doc_candidate(self, doc: dict[str, Any], isbn: str | None) -> Candidate:
        # A search doc is a work: its isbn list mixes every edition, so only the
        # ISBN we asked about is attributed to it.
        isbn10 = isbn13 = None
        if isbn and to_isbn13(isbn) in {to_isbn13(i) for i in doc.get("isbn") or []}:
            isbn10, isbn13 = split_isbns([clean_isbn(isbn)])
        languages = doc.get("language") or []
        publishers = doc.get("publisher") or []
        return Candidate(
            source=NAME,
            source_id=_olid(doc.get("key")),
            title=doc.get("title") or None,
            subtitle=doc.get("subtitle") or None,
            authors=unique(a for a in doc.get("author_name") or [] if isinstance(a, str)),
            isbn10=isbn10,
            isbn13=isbn13,
            publisher=publishers[0] if publishers else None,
            published_year=year_from(doc.get("first_publish_year")),
            language=language_code(languages[0]) if languages else None,
            page_count=positive_int(doc.get("number_of_pages_median")),
            cover_url=self._cover(doc.get("cover_i")),
        )


def _classify(response: httpx.Response) -> UpstreamError | None:
    status = response.status_code
    if status == 200 or response.is_redirect:
        return None
    where = f"Open Library {response.request.url.path}"
    if status == 404:
        return UpstreamError(f"{where}: not found", reason="not_found")
    if status == 429:
        return UpstreamError(f"{where}: rate limited", reason="rate_limited", transient=True,
                             retry_after=retry_after_seconds(response))
    if status == 403:
        return UpstreamError(f"{where}: forbidden (HTTP 403)", reason="forbidden")
    if status >= 500:
        return UpstreamError(f"{where}: server error (HTTP {status})", reason="server_error",
                             transient=status in (500, 502, 503, 504),
                             retry_after=retry_after_seconds(response))
    if status == 400:
        return UpstreamError(f"{where}: bad request", reason="bad_request")
    return UpstreamError(f"{where}: unexpected HTTP {status}", reason="bad_response")


def _same_host_redirect(url: httpx.URL, response: httpx.Response) -> httpx.URL:
    target = url.join(response.headers.get("location", ""))
    if (target.scheme, target.netloc) != (url.scheme, url.netloc):
        raise UpstreamError(f"Open Library redirected {url.path} to another host",
                            reason="bad_response")
    return target


def _olid(key: object) -> str:
    return str(key or "").rstrip("/").rsplit("/", 1)[-1]


def _text(value: object) -> str | None:
    """Open Library text fields are a string or ``{"type": "/type/text", "value": ...}``."""
    if isinstance(value, dict):
        value = value.get("value")
    return value if isinstance(value, str) and value.strip() else None
