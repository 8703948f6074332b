"""Automatic metadata lookups, scheduled apart from parsing.

Owns the lookup_metadata jobs while the server runs: one lane per provider with its own
workers, its provider's rate limiter and a circuit breaker, so a provider that cannot be
reached is noticed once and asked again later instead of once per book, and a slow provider
never holds back another, nor any parse. The queue never sees these jobs.

May call services.metadata for each step (lookups, review), services.jobs to record the
jobs, services.preferences, bookshelf.db (the job rows) and bookshelf.providers (the query a
lookup asks).
"""

from bookshelf.services.lookups.breaker import Breaker
from bookshelf.services.lookups.scheduler import LookupScheduler

__all__ = ["Breaker", "LookupScheduler"]
