"""A circuit breaker per provider: after an outage no call starts until a back-off has passed,
then one probe decides whether the provider is back."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

BASE_SECONDS = 30.0
MAX_SECONDS = 900.0


class Breaker:
    """``closed`` (calls flow), ``open`` (no call until ``retry_at``) or ``half_open`` (one probe
    in flight). A failure while a call of the same outage is already open is not counted twice,
    so concurrent calls that fail together open the breaker once."""

    def __init__(self, base: float = BASE_SECONDS, cap: float = MAX_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.base = base
        self.cap = cap
        self.clock = clock
        self.state = "closed"
        self.retry_at = 0.0
        self.outages = 0  # consecutive failed openings; the back-off doubles with each
        self.last_error: str | None = None
        self._backoff = base

    def wait(self) -> float:
        """Seconds before a call may start (0: start now, and if this was the probe it is taken)."""
        if self.state == "closed":
            return 0.0
        if self.state == "half_open":
            return math.inf  # the probe's answer decides
        left = self.retry_at - self.clock()
        if left > 0:
            return left
        self.state = "half_open"
        return 0.0

    def success(self) -> None:
        self.state = "closed"
        self.outages = 0
        self.last_error = None
        self._backoff = self.base

    def failure(self, reason: str) -> None:
        """The provider could not be reached (or failed as a whole): stop calling it for a while."""
        if self.state == "open":
            return
        self.outages += 1
        self.last_error = reason
        self.state = "open"
        self.retry_at = self.clock() + self._backoff
        self._backoff = min(self._backoff * 2, self.cap)

    def pause(self, seconds: float, reason: str) -> None:
        """The provider asked us to wait (Retry-After, a spent quota): no call before then."""
        self.state = "open"
        self.last_error = reason
        self.retry_at = max(self.retry_at, self.clock() + min(seconds, self.cap))

    def probe_now(self) -> None:
        """A reader asked for this provider again: the next call is the probe, without waiting."""
        if self.state == "open":
            self.retry_at = self.clock()

    def release(self) -> None:
        """A probe ended without an answer either way (the book went away): let another call probe."""
        if self.state == "half_open":
            self.state = "open"
            self.retry_at = self.clock()
