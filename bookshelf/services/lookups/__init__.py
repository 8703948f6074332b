"""Automatic metadata lookups, scheduled apart from parsing.

Owns the lookup_metadata jobs while the server runs: one lane per provider with its own
workers, its provider's rate limiter and a circuit breaker, so a provider that cannot be
reached is noticed once and asked again later instead of once per book, and a slow provider
never holds back another, nor any parse. Calls services.metadata for each step and
services.jobs to record the jobs; the queue never sees these jobs.
"""

from bookshelf.services.lookups.breaker import Breaker
from bookshelf.services.lookups.scheduler import LookupScheduler

__all__ = ["Breaker", "LookupScheduler"]
