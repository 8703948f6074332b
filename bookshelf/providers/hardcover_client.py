"""Hardcover GraphQL client: the catalogue and the user's library, with Hardcover's error rules."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from bookshelf.errors import UpstreamError
from bookshelf.providers import hardcover_queries as q
from bookshelf.providers.hardcover_models import (
    BookDetails,
    Edition,
    HardcoverUser,
    SearchPage,
    UserBook,
    UserBookRead,
    parse_book,
    parse_edition,
    parse_read,
    parse_search_hit,
    parse_user,
    parse_user_book,
)
from bookshelf.providers.normalise import (
    clean_isbn,
    to_isbn10,
    to_isbn13,
)
from bookshelf.providers.ratelimit import RateLimiter
from bookshelf.providers.transport import RetryPolicy, json_body, retry_after_seconds, send

log = logging.getLogger(__name__)

NAME = "hardcover"
IMAGE_HOSTS = ("assets.hardcover.app",)
SEARCH_TIMEOUT = 5.0  # the server gives search 2 s; leave room for the network
_ROOT_NOT_FOUND = re.compile(r"field '(\w+)' not found in type: '(query_root|mutation_root)'")
_BEARER_PREFIX = re.compile(r"(?i)^bearer\s+")


def clean_token(token: str | None) -> str | None:
    """Trim a pasted token and drop one leading "Bearer " (users paste it either way)."""
    value = _BEARER_PREFIX.sub("", (token or "").strip(), count=1).strip()
    return value or None


def default_limiter(token: str | None = None) -> RateLimiter:
    """60 a minute; personal access tokens burst 10, legacy JWTs (``eyJ...``) half that."""
    legacy = (clean_token(token) or "").startswith("eyJ")
    return RateLimiter(per_minute=60, burst=5 if legacy else 10, name="Hardcover")


@dataclass
class CallRecord:
    """One attempted Hardcover call, for the sync log. Never holds the token."""

    operation: str
    variables: dict[str, Any]
    outcome: str  # "ok" or the UpstreamError reason
    message: str | None
    status: int | None
    rate_limit: str | None
    elapsed: float


class HardcoverClient:
    """Every Hardcover operation bookshelf uses; each failure is an UpstreamError."""

    def __init__(self, client: httpx.AsyncClient, url: str, token: str | None, *,
                 limiter: RateLimiter | None = None, policy: RetryPolicy | None = None,
                 on_call: Callable[[CallRecord], None] | None = None) -> None:
        self.client = client
        self.url = url
        self._token = clean_token(token)
        self.limiter = limiter or default_limiter(token)
        self.policy = policy or RetryPolicy()
        self.on_call = on_call

    @property
    def configured(self) -> bool:
        return self._token is not None

    async def me(self) -> HardcoverUser:
        """The token's user; the token check. An empty ``me`` means the token lacks ``read:me``."""
        data = await self._execute("WhoAmI", q.ME, {})
        rows = data.get("me") or []
        if not rows or not isinstance(rows[0], dict):
            raise UpstreamError("Hardcover token is valid but cannot read the user (scope read:me)",
                                reason="missing_scope")
        return parse_user(rows[0])

    async def search(self, title: str | None, author: str | None = None, *, per_page: int = 10,
                     page: int = 1) -> SearchPage:
        """Search books: title and author go in one query string (there is no author filter)."""
        text = " ".join(part.strip() for part in (title, author) if part and part.strip())
        if not text:
            return SearchPage(hits=[], ids=[], found=0, page=page, per_page=per_page)
        variables = {"q": text, "perPage": per_page, "page": page}
        data = await self._execute("SearchBooks", q.SEARCH, variables, timeout=SEARCH_TIMEOUT)
        payload = data.get("search") or {}
        if payload.get("error"):
            raise UpstreamError(f"Hardcover search failed: {payload['error']}",
                                reason="graphql_error")
        raw_results = payload.get("results")
        results: dict[str, Any] = raw_results if isinstance(raw_results, dict) else {}
        hits = [parse_search_hit(h.get("document") or {}) for h in results.get("hits") or []
                if isinstance(h, dict)]
        return SearchPage(hits=[h for h in hits if h is not None],
                          ids=[int(i) for i in payload.get("ids") or [] if i is not None],
                          found=int(results.get("found") or 0),
                          page=int(payload.get("page") or page),
                          per_page=int(payload.get("per_page") or per_page))

    async def editions_by_isbn(self, isbns: list[str]) -> list[Edition]:
        """Editions whose ISBN-10 or ISBN-13 is one of ``isbns`` (exact match, so both forms)."""
        wanted: list[str] = []
        for raw in isbns:
            for form in (clean_isbn(raw), to_isbn13(raw), to_isbn10(raw)):
                if form and form not in wanted:
                    wanted.append(form)
        if not wanted:
            return []
        data = await self._execute("EditionsByIsbn", q.EDITIONS_BY_ISBN, {"isbns": wanted})
        return [parse_edition(e) for e in data.get("editions") or [] if isinstance(e, dict)]

    async def book_details(self, book_id: int) -> BookDetails | None:
        data = await self._execute("BookDetails", q.BOOK_DETAILS, {"id": book_id})
        row = data.get("books_by_pk")
        return parse_book(row) if isinstance(row, dict) else None

    async def user_book(self, book_id: int) -> UserBook | None:
        """The user's library entry for ``book_id`` with its reads (newest first), if any."""
        data = await self._execute("MyUserBook", q.USER_BOOK, {"bookId": book_id})
        users = data.get("me") or []
        if not users:
            raise UpstreamError("Hardcover token cannot read the user's library",
                                reason="missing_scope")
        rows = users[0].get("user_books") or []
        return parse_user_book(rows[0]) if rows else None

    async def insert_user_book(self, book_id: int, *, status_id: int,
                               edition_id: int | None = None, privacy_setting_id: int | None = None,
                               rating: float | None = None) -> UserBook:
        obj = _compact({"book_id": book_id, "status_id": status_id, "edition_id": edition_id,
                        "privacy_setting_id": privacy_setting_id, "rating": rating})
        payload = await self._mutate("AddToLibrary", q.INSERT_USER_BOOK, "insert_user_book",
                                     {"object": obj})
        return _user_book_from(payload, obj)

    async def update_user_book(self, user_book_id: int, changes: Mapping[str, Any]) -> UserBook:
        """Change a library entry (``id`` is user_books.id); ``{"rating": None}`` clears it."""
        obj = {k: _date(v) for k, v in changes.items()}
        payload = await self._mutate("SetStatus", q.UPDATE_USER_BOOK, "update_user_book",
                                     {"id": user_book_id, "object": obj})
        return _user_book_from(payload, {"id": user_book_id, **obj})

    async def insert_user_book_read(self, user_book_id: int, *,
                                    started_at: date | str | None = None,
                                    finished_at: date | str | None = None,
                                    progress_pages: int | None = None,
                                    progress_seconds: int | None = None,
                                    edition_id: int | None = None) -> UserBookRead | None:
        read = _compact({"started_at": _date(started_at), "finished_at": _date(finished_at),
                         "progress_pages": progress_pages, "progress_seconds": progress_seconds,
                         "edition_id": edition_id})
        payload = await self._mutate("StartRead", q.INSERT_USER_BOOK_READ, "insert_user_book_read",
                                     {"userBookId": user_book_id, "read": read})
        return _read_from(payload)

    async def update_user_book_read(self, read_id: int, *, started_at: date | str | None = None,
                                    finished_at: date | str | None = None,
                                    progress_pages: int | None = None,
                                    progress_seconds: int | None = None,
                                    edition_id: int | None = None) -> UserBookRead | None:
        """Update a read (``id`` is user_book_reads.id). Send ``started_at`` and ``edition_id``
        every time: whether omitted fields are kept is not established. None back is success."""
        read = _compact({"started_at": _date(started_at), "finished_at": _date(finished_at),
                         "progress_pages": progress_pages, "progress_seconds": progress_seconds,
                         "edition_id": edition_id})
        payload = await self._mutate("UpdateProgress", q.UPDATE_USER_BOOK_READ,
                                     "update_user_book_read", {"id": read_id, "read": read})
        return _read_from(payload)

    async def delete_user_book(self, user_book_id: int) -> int:
        """Remove a library entry (and its reads); returns the deleted user_books.id."""
        payload = await self._mutate("Remove", q.DELETE_USER_BOOK, "delete_user_book",
                                     {"id": user_book_id})
        if payload.get("id") is None:
            raise UpstreamError(f"Hardcover did not delete library entry {user_book_id}",
                                reason="mutation_error")
        return int(payload["id"])

    async def _mutate(self, operation: str, document: str, field: str,
                      variables: dict[str, Any]) -> dict[str, Any]:
        data = await self._execute(operation, document, variables)
        payload = data.get(field)
        # Action-level failures come back inside HTTP 200 with data present.
        if not isinstance(payload, dict):
            raise UpstreamError(f"Hardcover {field} returned nothing", reason="mutation_error")
        if payload.get("error"):
            raise UpstreamError(f"Hardcover {field} failed: {payload['error']}",
                                reason="mutation_error")
        return payload

    async def _execute(self, operation: str, document: str, variables: dict[str, Any], *,
                       timeout: float | None = None) -> dict[str, Any]:
        if self._token is None:
            raise UpstreamError("Hardcover is not configured: no API token",
                                reason="not_configured")
        started = time.monotonic()
        seen: dict[str, Any] = {}

        def classify(response: httpx.Response) -> UpstreamError | None:
            seen["status"] = response.status_code
            seen["rate_limit"] = response.headers.get("ratelimit")
            return _classify(response)

        request = self.client.build_request(
            "POST", self.url,
            json={"query": document, "variables": variables, "operationName": operation},
            headers={"Authorization": f"Bearer {self._token}"},
            timeout=timeout if timeout is not None else self.client.timeout,
        )
        try:
            response = await send(self.client, request, limiter=self.limiter, classify=classify,
                                  provider="Hardcover", policy=self.policy)
            data = _data(response)
        except UpstreamError as exc:
            self._record(operation, variables, exc.reason, exc.message, seen, started)
            raise
        self._record(operation, variables, "ok", None, seen, started)
        return data

    def _record(self, operation: str, variables: dict[str, Any], outcome: str,
                message: str | None, seen: dict[str, Any], started: float) -> None:
        record = CallRecord(operation=operation, variables=variables, outcome=outcome,
                            message=message, status=seen.get("status"),
                            rate_limit=seen.get("rate_limit"),
                            elapsed=round(time.monotonic() - started, 3))
        log.debug("hardcover %s -> %s (HTTP %s)", operation, outcome, record.status)
        if self.on_call is not None:
            self.on_call(record)


def _classify(response: httpx.Response) -> UpstreamError | None:
    """HTTP-level errors come from Hardcover's proxy; branch on status, never on body wording."""
    status = response.status_code
    if status == 200:
        return None
    body = json_body(response)
    body = body if isinstance(body, dict) else {}
    detail = str(body.get("error_description") or body.get("message") or body.get("error") or "")
    if status == 401:
        return UpstreamError("Hardcover rejected the token (invalid, expired or revoked)",
                             reason="unauthorized")
    if status == 403:
        if body.get("error") == "insufficient_scope":
            scope = body.get("scope") or "unknown"
            return UpstreamError(f"Hardcover token is valid but lacks the scope {scope}",
                                 reason="missing_scope")
        if isinstance(body.get("errors"), list):  # e.g. ["top_level_query_limit_exceeded"]
            codes = ", ".join(str(e) for e in body["errors"])
            return UpstreamError(f"Hardcover refused the query: {codes}", reason="query_limit")
        if "quota" in detail.lower():
            return UpstreamError(f"Hardcover quota reached: {detail}", reason="quota")
        return UpstreamError(f"Hardcover refused the request: {detail or 'HTTP 403'}",
                             reason="forbidden")
    if status == 429:
        return UpstreamError("Hardcover rate limit reached", reason="rate_limited",
                             transient=True, retry_after=retry_after_seconds(response))
    if status == 408:
        return UpstreamError("Hardcover query ran over its time limit", reason="timeout",
                             transient=True)
    if status == 400:
        return UpstreamError(f"Hardcover rejected the request: {detail or 'HTTP 400'}",
                             reason="bad_request")
    if status >= 500:
        return UpstreamError(f"Hardcover server error (HTTP {status}): {detail}".rstrip(": "),
                             reason="server_error", transient=status in (502, 503, 504),
                             retry_after=retry_after_seconds(response))
    return UpstreamError(f"Hardcover answered HTTP {status}", reason="bad_response")


def _data(response: httpx.Response) -> dict[str, Any]:
    """``data`` of a 200 answer, or the in-band GraphQL errors as an UpstreamError."""
    body = json_body(response)
    if not isinstance(body, dict):
        raise UpstreamError("Hardcover answered with a body that is not JSON",
                            reason="bad_response", transient=True)
    errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
    if errors:
        messages = [str(e.get("message") or "") for e in errors]
        codes = {str((e.get("extensions") or {}).get("code") or "") for e in errors}
        if "invalid-jwt" in codes or any("JWT" in m for m in messages):
            raise UpstreamError("Hardcover rejected the token (invalid or expired)",
                                reason="unauthorized")
        for message in messages:
            match = _ROOT_NOT_FOUND.search(message)
            if match:  # our queries match the schema, so a missing root field is a permission
                raise UpstreamError(f"Hardcover token cannot use {match.group(1)} (missing scope)",
                                    reason="missing_scope")
        raise UpstreamError("Hardcover GraphQL error: " + "; ".join(messages),
                            reason="graphql_error")
    data = body.get("data")
    if not isinstance(data, dict):
        raise UpstreamError("Hardcover answered without data", reason="bad_response")
    return data


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _date(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _user_book_from(payload: dict[str, Any], sent: dict[str, Any]) -> UserBook:
    row = payload.get("user_book")
    if isinstance(row, dict):
        return parse_user_book(row)
    if payload.get("id") is None:
        raise UpstreamError("Hardcover returned no library entry", reason="mutation_error")
    return parse_user_book({**sent, "id": payload["id"]})


def _read_from(payload: dict[str, Any]) -> UserBookRead | None:
    # A null user_book_read with no error has been seen on success: not a failure.
    row = payload.get("user_book_read")
    if isinstance(row, dict):
        return parse_read(row)
    return None
