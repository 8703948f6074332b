"""Metadata lookups: ask the providers (all at once, notes in the user's order), cache answers,
store scored candidates. The automatic lookups after a parse go through services.lookups, which
calls the single-provider steps here (ask, store_source, save_notes) provider by provider.

A provider that is not configured is skipped with a note; one that fails is
recorded with its distinct reason (unauthorized, missing_scope, quota,
graphql_error, timeout ...). When every provider asked failed, the lookup
raises, so the job fails with those reasons instead of looking like "no match" (unless
none could even be reached: an offline server only gets the notes).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from bookshelf import clock
from bookshelf.db import Database, lookups
from bookshelf.db import books as book_rows
from bookshelf.db import candidates as candidate_rows
from bookshelf.errors import NotFound, UpstreamError
from bookshelf.models import Book
from bookshelf.models import Candidate as StoredCandidate
from bookshelf.providers import (
    Candidate,
    LookupQuery,
    Provider,
    RateLimiter,
    google_books,
    hardcover,
    make_client,
    match_score,
    openlibrary,
)
from bookshelf.services.access.credentials import CredentialService
from bookshelf.services.preferences import PreferenceService
from bookshelf.settings import Settings

log = logging.getLogger("bookshelf.metadata")
PER_PROVIDER = 5
NAMES = ("hardcover", "google_books", "openlibrary")


@dataclass
class LookupReport:
    book_id: str
    candidates: int = 0
    notes: list[dict[str, Any]] = field(default_factory=list)
    transient: list[bool] = field(default_factory=list)  # per failure: worth the queue retrying

    def summary(self) -> str:
        return "; ".join(f"{n['source']}: {n.get('message') or n['status']}" for n in self.notes)


def candidate_data(found: Candidate) -> dict[str, Any]:
    """A provider candidate in the API's field names (the remote cover URL kept as coverUrl)."""
    return {
        "title": found.title, "subtitle": found.subtitle, "authors": list(found.authors), "series": found.series,
        "seriesIndex": found.series_index, "isbn10": found.isbn10, "isbn13": found.isbn13,
        "publisher": found.publisher, "publishedYear": found.published_year, "language": found.language,
        "description": found.description, "pageCount": found.page_count, "genres": list(found.genres),
        "coverUrl": found.cover_url,
    }  # fmt: skip


def query_for(book: Book) -> LookupQuery:
    return LookupQuery(isbn=book.isbn13 or book.isbn10, title=book.title or None, authors=list(book.authors))


def cache_key(query: LookupQuery) -> str:
    return json.dumps(
        {"isbn": query.clean_isbn, "title": (query.title or "").casefold().strip(),
         "authors": [a.casefold().strip() for a in query.authors], "limit": PER_PROVIDER},
        sort_keys=True, ensure_ascii=False,
    )  # fmt: skip


class ProviderClients:
    """One httpx client and one rate limiter per provider, for the life of the process."""

    def __init__(self, settings: Settings, timeout: float) -> None:
        self.settings = settings
        self.clients = {name: make_client(timeout) for name in NAMES}
        self.limiters: dict[str, RateLimiter] = {
            "google_books": google_books.default_limiter(),
            "openlibrary": openlibrary.default_limiter(),
        }
        self._hardcover_token: str | None = None

    def client(self, name: str) -> httpx.AsyncClient:
        return self.clients[name]

    def build(self, name: str, secret: str | None) -> Provider:
        s = self.settings
        if name == "hardcover":
            if secret != self._hardcover_token or "hardcover" not in self.limiters:
                self.limiters["hardcover"] = hardcover.default_limiter(secret)  # tier follows the token
                self._hardcover_token = secret
            return hardcover.Hardcover(self.clients[name], s.hardcover_url, secret, limiter=self.limiters[name])
        if name == "google_books":
            return google_books.GoogleBooks(self.clients[name], s.google_books_url, secret,
                                            limiter=self.limiters[name])  # fmt: skip
        return openlibrary.OpenLibrary(self.clients[name], s.openlibrary_url, s.openlibrary_covers_url,
                                       limiter=self.limiters[name])  # fmt: skip

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()


class MetadataService:
    def __init__(self, db: Database, settings: Settings, preferences: PreferenceService,
                 credentials: CredentialService, clients: ProviderClients) -> None:  # fmt: skip
        self.db = db
        self.settings = settings
        self.preferences = preferences
        self.credentials = credentials
        self.clients = clients

    async def lookup(self, book_id: str, bypass_cache: bool = False) -> LookupReport:
        """Fetch, score and store candidates for ``book_id``; the book's own candidate stays.

        The providers are asked at the same time (each under its own limiter); notes keep the
        user's order."""
        book = await self.book(book_id)
        query = query_for(book)
        names = list(self.preferences.get("metadataSources"))
        reports = [LookupReport(book_id) for _ in names]
        asks = (self._ask(n, query, bypass_cache, r) for n, r in zip(names, reports, strict=True))
        answers = await asyncio.gather(*asks)
        report = LookupReport(book_id)
        found: list[tuple[str, Candidate]] = []
        for name, part, got in zip(names, reports, answers, strict=True):
            report.notes.extend(part.notes)
            report.transient.extend(part.transient)
            found.extend((name, c) for c in got)
        await self._store(book, query, found, report)
        raise_if_all_failed(report)
        return report

    async def book(self, book_id: str) -> Book:
        async with self.db.read() as conn:
            book = await book_rows.get(conn, book_id, with_files=False)
        if book is None:
            raise NotFound("Book not found")
        return book

    async def secret_for(self, name: str) -> tuple[bool, str | None]:
        """(usable, secret): a provider that needs a credential nobody configured is not usable."""
        if name not in ("hardcover", "google_books"):
            return True, None
        # Metadata is shared: Hardcover lookups use the first admin's token, as before accounts.
        owner = await self.credentials.accounts.first_admin_id() if name == "hardcover" else None
        secret = await self.credentials.secret(name, owner)
        return bool(secret), secret or None

    async def ask(self, name: str, secret: str | None, query: LookupQuery, bypass: bool) -> tuple[list[Candidate], str]:
        """One provider's answers for ``query`` (from the cache unless ``bypass``) and whether they
        were "cached" or "fetched". Raises UpstreamError as the provider failed."""
        key = cache_key(query)
        if not bypass:
            hit = await self._cached(name, key)
            if hit is not None:
                return hit, "cached"
        answers = await self.clients.build(name, secret).lookup(query, PER_PROVIDER)
        async with self.db.write() as conn:
            await lookups.store(conn, name, key, [asdict(a) for a in answers], clock.now_iso())
        return answers, "fetched"

    async def store_source(self, book_id: str, query: LookupQuery, name: str, answers: list[Candidate]) -> bool:
        """Replace one provider's candidates for a book; False when the book went away."""
        now = clock.now_iso()
        async with self.db.write() as conn:
            if await book_rows.get(conn, book_id, with_files=False) is None:
                return False
            await candidate_rows.delete_source(conn, book_id, name)
            for cand in answers:
                await candidate_rows.insert(conn, _stored(book_id, name, match_score(query, cand), cand, now))
        return True

    async def save_notes(self, book_id: str, notes: list[dict[str, Any]]) -> None:
        async with self.db.write() as conn:
            if await book_rows.get(conn, book_id, with_files=False) is not None:
                await lookups.save_notes(conn, book_id, notes, clock.now_iso())

    async def _ask(self, name: str, query: LookupQuery, bypass: bool, report: LookupReport) -> list[Candidate]:
        if not query.clean_isbn and not query.title:
            report.notes.append(no_query_note(name))
            return []
        usable, secret = await self.secret_for(name)
        if not usable:
            report.notes.append(not_configured_note(name))
            return []
        try:
            answers, how = await self.ask(name, secret, query, bypass)
        except UpstreamError as exc:
            log.warning("metadata lookup via %s failed (%s): %s", name, exc.reason, exc.message)
            report.notes.append(error_note(name, exc))
            report.transient.append(exc.transient)
            return []
        report.notes.append(answer_note(name, answers, how))
        return answers

    async def cached(self, name: str, query: LookupQuery) -> list[Candidate] | None:
        """The cached answers of one provider for ``query`` (automatic lookups only), or None."""
        return await self._cached(name, cache_key(query))

    async def _cached(self, name: str, key: str) -> list[Candidate] | None:
        hours = int(self.preferences.get("metadataCacheHours"))
        if hours <= 0:
            return None
        not_before = clock.iso(clock.now() - timedelta(hours=hours))
        async with self.db.read() as conn:
            raw = await lookups.cached(conn, name, key, not_before)
        if raw is None:
            return None
        try:
            return [Candidate(**item) for item in raw]
        except TypeError:  # an answer cached by an older layout: ask again
            return None

    async def _store(self, book: Book, query: LookupQuery, found: list[tuple[str, Candidate]],
                     report: LookupReport) -> None:  # fmt: skip
        now = clock.now_iso()
        scored = sorted(((match_score(query, c), name, c) for name, c in found), key=lambda t: -t[0])
        async with self.db.write() as conn:
            if await book_rows.get(conn, book.id, with_files=False) is None:
                raise NotFound("Book not found")  # deleted while the providers were asked
            await candidate_rows.delete_remote(conn, book.id)
            for score, name, cand in scored:
                await candidate_rows.insert(conn, _stored(book.id, name, score, cand, now))
            await lookups.save_notes(conn, book.id, report.notes, now)
            if book.status == "processing":
                await book_rows.set_status(conn, book.id, "review", None, now)
        report.candidates = len(scored)


def _stored(book_id: str, name: str, score: float, cand: Candidate, now: str) -> StoredCandidate:
    return StoredCandidate(id=str(uuid.uuid4()), book_id=book_id, source=name, source_id=cand.source_id,
                           score=score, data=candidate_data(cand), fetched_at=now)  # fmt: skip


def raise_if_all_failed(report: LookupReport) -> None:
    """When every provider asked failed, raise so the job fails with their reasons. No connection
    at all (the server is offline) is noted, not failed: nothing for anyone to fix or retry by hand,
    and a rescan asks again."""
    failures = [n for n in report.notes if n["status"] == "error"]
    asked = [n for n in report.notes if n["status"] != "skipped"]
    unreachable = all(n["reason"] == "unavailable" for n in failures)
    if failures and len(failures) == len(asked) and not unreachable:
        reason = failures[0]["reason"] if len(failures) == 1 else "all_failed"
        # Only when every failure may pass (a timeout, a busy server) is the job retried later.
        raise UpstreamError("No provider answered: " + report.summary(), reason=reason,
                            transient=all(report.transient))  # fmt: skip


def no_query_note(name: str) -> dict[str, Any]:
    return _note(name, "skipped", "no_query", "nothing to search for (no ISBN or title)")


def not_configured_note(name: str) -> dict[str, Any]:
    what = "API token" if name == "hardcover" else "API key"
    return _note(name, "skipped", "not_configured", f"skipped: no {what} configured")


def error_note(name: str, exc: UpstreamError) -> dict[str, Any]:
    return _note(name, "error", exc.reason, f"{exc.reason}: {exc.message}")


def answer_note(name: str, answers: list[Candidate], how: str) -> dict[str, Any]:
    if how == "cached":
        message = f"{len(answers)} results (cached)" if answers else "no match (cached)"
        return _note(name, "ok", "cached", message, len(answers))
    if answers:
        return _note(name, "ok", "fetched", f"{len(answers)} results", len(answers))
    # Asked and answered, with nothing: told apart from a failure on the review page.
    return _note(name, "ok", "no_match", "no match", 0)


def _note(source: str, status: str, reason: str, message: str, results: int | None = None) -> dict[str, Any]:
    note: dict[str, Any] = {"source": source, "status": status, "reason": reason, "message": message}
    if results is not None:
        note["results"] = results
    return note
