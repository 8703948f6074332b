"""Building the three metadata providers from settings and the user's credentials."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from bookshelf.providers import google_books, hardcover, openlibrary
from bookshelf.providers.base import Provider, ProviderSettings
from bookshelf.providers.ratelimit import RateLimiter

ORDER = ("hardcover", "google_books", "openlibrary")  # most to least detailed


def default_limiters(hardcover_token: str | None = None) -> dict[str, RateLimiter]:
    """One bucket per provider. Keep them for the life of the process: a new bucket starts full."""
    return {
        "hardcover": hardcover.default_limiter(hardcover_token),
        "google_books": google_books.default_limiter(),
        "openlibrary": openlibrary.default_limiter(),
    }


def build_providers(settings: ProviderSettings, client: httpx.AsyncClient, *,
                    hardcover_token: str | None = None, google_books_api_key: str | None = None,
                    limiters: Mapping[str, RateLimiter] | None = None) -> dict[str, Provider]:
    """Providers keyed "hardcover", "google_books", "openlibrary", in ORDER.

    Credentials passed here (the user's stored ones) win over the settings'. Hardcover
    is built even without a token; its lookups then raise ``not_configured``.
    """
    token = hardcover_token or getattr(settings, "hardcover_token", "") or None
    key = google_books_api_key or getattr(settings, "google_books_api_key", "") or None
    limiters = limiters or default_limiters(token)
    return {
        "hardcover": hardcover.Hardcover(client, settings.hardcover_url, token,
                                         limiter=limiters.get("hardcover")),
        "google_books": google_books.GoogleBooks(client, settings.google_books_url, key,
                                                 limiter=limiters.get("google_books")),
        "openlibrary": openlibrary.OpenLibrary(client, settings.openlibrary_url,
                                               settings.openlibrary_covers_url,
                                               limiter=limiters.get("openlibrary")),
    }
