"""Failed-authentication limits per client address, so guessing is slow and devices keep working."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable


class FailureLimiter:
    """Allows ``limit`` failures per ``window`` seconds from one address; successes never count.

    A device with the right credentials never fails, so it is never limited;
    a guesser is told to come back after the window (429 with Retry-After).
    """

    def __init__(self, limit: int = 10, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, address: str) -> int | None:
        """Seconds to wait if ``address`` is over its limit, else None."""
        failures = self._failures.get(address)
        if not failures:
            return None
        now = self.clock()
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if len(failures) < self.limit:
            if not failures:
                self._failures.pop(address, None)
            return None
        return max(1, int(math.ceil(failures[0] + self.window - now)))

    def fail(self, address: str) -> None:
        if len(self._failures) > 10_000:  # bound memory under a spray of addresses
            self._failures.clear()
        self._failures.setdefault(address, deque()).append(self.clock())

    def reset(self) -> None:
        self._failures.clear()
