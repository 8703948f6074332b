"""Metadata providers (Hardcover, Google Books, Open Library) as async clients; no database."""

from bookshelf.providers.base import Candidate, LookupQuery, Provider, ProviderSettings
from bookshelf.providers.covers import allowed_cover_hosts, fetch_cover
from bookshelf.providers.ratelimit import RateLimiter
from bookshelf.providers.registry import build_providers, default_limiters
from bookshelf.providers.score import match_score, rank
from bookshelf.providers.transport import make_client

__all__ = [
    "Candidate", "LookupQuery", "Provider", "ProviderSettings", "RateLimiter",
    "allowed_cover_hosts", "build_providers", "default_limiters", "fetch_cover", "make_client",
    "match_score", "rank",
]
