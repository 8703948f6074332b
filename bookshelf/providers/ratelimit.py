"""An async token bucket shared by every call to one provider, with server back-off folded in."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from bookshelf.errors import UpstreamError

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class RateLimiter:
    """Token bucket: ``burst`` calls back to back, then ``per_minute`` spread evenly.

    Waits are reserved up front (the bucket may go negative), so concurrent callers
    queue in arrival order without a lock. A wait longer than ``max_wait`` is not
    slept through: the caller gets a transient ``rate_limited`` error with the
    wait as ``retry_after`` and can reschedule the work instead of holding a task.
    ``clock`` and ``sleep`` are injectable so tests can run a minute in no time.
    """

    def __init__(self, per_minute: float, burst: int, *, max_wait: float = 30.0,
                 name: str = "provider", clock: Clock = time.monotonic,
                 sleep: Sleep = asyncio.sleep) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("per_minute must be positive and burst at least 1")
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.max_wait = max_wait
        self.name = name
        self.clock = clock
        self.sleep = sleep
        self._tokens = float(burst)
        self._updated = clock()
        self._blocked_until = 0.0

    def _refill(self, now: float) -> None:
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def wait_time(self, cost: float = 1.0) -> float:
        """Seconds a call costing ``cost`` would wait now, without reserving anything."""
        now = self.clock()
        self._refill(now)
        bucket_wait = max(0.0, (cost - self._tokens) / self.rate)
        return max(bucket_wait, self._blocked_until - now)

    async def acquire(self, cost: float = 1.0) -> None:
        """Take ``cost`` tokens, sleeping until they are there (or raise if that is too long)."""
        wait = self.wait_time(cost)
        if wait > self.max_wait:
            raise UpstreamError(
                f"{self.name} rate limit: next call possible in {wait:.0f} s",
                reason="rate_limited", retry_after=wait, transient=True,
            )
        self._tokens -= cost
        if wait > 0:
            await self.sleep(wait)

    def defer(self, seconds: float) -> None:
        """The server said Retry-After: no call starts before then; the bucket restarts empty."""
        now = self.clock()
        self._refill(now)
        self._blocked_until = max(self._blocked_until, now + seconds)
        self._tokens = min(self._tokens, 0.0)
