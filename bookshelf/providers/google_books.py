"""Google Books API v1 client: volume search by ISBN or title/author, and single volumes."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from bookshelf.errors import UpstreamError
from bookshelf.providers.base import Candidate, LookupQuery
from bookshelf.providers.normalise import (
    language_code,
    positive_int,
    search_title,
    split_isbns,
    strip_html,
    unique,
    year_from,
)
from bookshelf.providers.ratelimit import RateLimiter
from bookshelf.providers.transport import (
    RetryPolicy,
    json_body,
    protect_logs,
    redact,
    retry_after_seconds,
    send,
)

NAME = "google_books"
IMAGE_HOSTS = ("books.google.com", "books.googleusercontent.com")
MAX_RESULTS = 40  # the API answers 400 above this
# Largest first: search results carry only the thumbnails, volumes/{id} the big ones.
_IMAGE_SIZES = ("extraLarge", "large", "medium", "small", "thumbnail", "smallThumbnail")


def default_limiter() -> RateLimiter:
    # The per-minute quota is per project and unpublished; stay well inside the usual default.
    return RateLimiter(per_minute=60, burst=10, name="Google Books")


class GoogleBooks:
    """Provider for Google Books; works without a key, but the key-less pool is often exhausted."""

    name = NAME

    def __init__(self, client: httpx.AsyncClient, base_url: str, api_key: str | None = None, *,
                 limiter: RateLimiter | None = None, policy: RetryPolicy | None = None) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.api_key = (api_key or "").strip() or None
        if self.api_key:
            protect_logs()
        self.limiter = limiter or default_limiter()
        self.policy = policy or RetryPolicy()
        # A per-day quota error holds until Google's reset: stop calling for this run.
        self._quota_error: UpstreamError | None = None

    async def lookup(self, query: LookupQuery, limit: int = 5) -> list[Candidate]:
        isbn = query.clean_isbn
        if isbn:
            found = await self.search(f"isbn:{isbn}", limit)
            if found:
                return found
        if not query.title:
            return []
        terms = [f"intitle:{_quoted(search_title(query.title))}"]
        if query.authors:
            terms.append(f"inauthor:{_quoted(query.authors[0])}")
        return await self.search(" ".join(terms), limit)

    async def search(self, q: str, limit: int = 10) -> list[Candidate]:
        """Run ``volumes?q=`` (keyword operators allowed) and normalise the items."""
        params = {"q": q, "maxResults": str(max(1, min(limit, MAX_RESULTS))), "printType": "books"}
        body = await self._get("/volumes", params)
        items = body.get("items") or []  # absent when nothing matched
        return [volume_candidate(item) for item in items[:limit] if isinstance(item, dict)]

    async def volume(self, volume_id: str) -> Candidate | None:
        """The richer single-volume record (HTML description, BISAC categories, big images)."""
        try:
            body = await self._get(f"/volumes/{volume_id}", {})
        except UpstreamError as exc:
            if exc.reason == "not_found":
                return None
            raise
        return volume_candidate(body)

    async def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        if self._quota_error is not None:
            raise UpstreamError(self._quota_error.message, reason="quota")
        if self.api_key:
            params = {**params, "key": self.api_key}
        request = self.client.build_request("GET", self.base_url + path, params=params)
        try:
            response = await send(self.client, request, limiter=self.limiter,
                                  classify=self._classify, provider="Google Books",
                                  policy=self.policy)
        except UpstreamError as exc:
            if exc.reason == "quota":
                self._quota_error = exc
            raise
        body = json_body(response)
        if not isinstance(body, dict):
            raise UpstreamError("Google Books answered with a body that is not JSON",
                                reason="bad_response", transient=True)
        return body

    def _classify(self, response: httpx.Response) -> UpstreamError | None:
        status = response.status_code
        if status == 200:
            return None
        message, reasons = _error_parts(response)
        text = f"Google Books: {message}" if message else f"Google Books answered HTTP {status}"
        if status == 400 and ("API_KEY_INVALID" in reasons or "API key not valid" in message):
            return UpstreamError("Google Books rejected the API key", reason="unauthorized")
        if status == 400:
            return UpstreamError(text, reason="bad_request")
        if status == 429 or (status == 403 and reasons & {"dailyLimitExceeded",
                                                          "userRateLimitExceeded",
                                                          "rateLimitExceeded"}):
            # Day and minute quotas share a reason; only the message tells them apart.
            if "dailyLimitExceeded" in reasons or "per day" in message.lower():
                hint = "" if self.api_key else " (no API key configured: the shared pool is used)"
                return UpstreamError(text + hint, reason="quota")
            return UpstreamError(text, reason="rate_limited", transient=True,
                                 retry_after=retry_after_seconds(response))
        if status in (401, 403):
            if "accessNotConfigured" in reasons or "SERVICE_DISABLED" in reasons:
                return UpstreamError("Google Books API is not enabled for this key's project",
                                     reason="forbidden")
            return UpstreamError(text, reason="unauthorized" if status == 401 else "forbidden")
        if status == 404:
            return UpstreamError(text, reason="not_found")
        if status >= 500:
            return UpstreamError(text, reason="server_error",
                                 transient=status in (500, 502, 503, 504),
                                 retry_after=retry_after_seconds(response))
        return UpstreamError(text, reason="bad_response")


def _error_parts(response: httpx.Response) -> tuple[str, set[str]]:
    """The message and every ``reason`` of a Google error envelope (empty when not one)."""
    body = json_body(response)
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", set()
    reasons = {e.get("reason", "") for e in error.get("errors") or [] if isinstance(e, dict)}
    reasons |= {d.get("reason", "") for d in error.get("details") or [] if isinstance(d, dict)}
    return redact(str(error.get("message") or "")), reasons - {""}


def _quoted(value: str) -> str:
    value = value.replace('"', " ").strip()
    return f'"{value}"' if " " in value else value


def volume_candidate(volume: dict[str, Any]) -> Candidate:
    """A Candidate from a search item or a ``volumes/{id}`` body; every field is optional."""
    info = volume.get("volumeInfo") or {}
    identifiers = [i.get("identifier") for i in info.get("industryIdentifiers") or []
                   if isinstance(i, dict) and i.get("type") in ("ISBN_10", "ISBN_13")]
    isbn10, isbn13 = split_isbns(identifiers)
    genres = unique(part for category in info.get("categories") or []
                    for part in str(category).split("/"))
    return Candidate(
        source=NAME,
        source_id=str(volume.get("id") or ""),
        title=info.get("title") or None,
        subtitle=info.get("subtitle") or None,
        authors=unique(a for a in info.get("authors") or [] if isinstance(a, str)),
        isbn10=isbn10,
        isbn13=isbn13,
        publisher=info.get("publisher") or None,
        published_year=year_from(info.get("publishedDate")),
        language=language_code(info.get("language")),
        description=strip_html(info.get("description")),
        page_count=positive_int(info.get("pageCount")),
        genres=genres,
        cover_url=cover_url(info.get("imageLinks") or {}),
    )


def cover_url(image_links: dict[str, Any]) -> str | None:
    """The largest image link, on HTTPS and without the page-curl effect."""
    for size in _IMAGE_SIZES:
        url = image_links.get(size)
        if isinstance(url, str) and url:
            return clean_image_url(url)
    return None


def clean_image_url(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme
    # Google hands out http:// image links; its image hosts serve the same over HTTPS.
    if scheme == "http" and parts.hostname in IMAGE_HOSTS:
        scheme = "https"
    query = "&".join(p for p in parts.query.split("&") if p and p != "edge=curl")
    return urlunsplit((scheme, parts.netloc, parts.path, query, ""))
