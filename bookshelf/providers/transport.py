"""The HTTP plumbing every provider shares: the client, retries, back-off and secret redaction."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from bookshelf import __version__
from bookshelf.errors import UpstreamError
from bookshelf.providers.ratelimit import RateLimiter

# Open Library and Hardcover both ask API clients to identify themselves.
USER_AGENT = f"bookshelf/{__version__} (+https://github.com/bookshelf-server/bookshelf)"

_SECRET_PARAM = re.compile(r"(?i)([?&](?:key|api_key|access_token|token)=)[^&#\s]*")
_BEARER = re.compile(r"(?i)(bearer\s+)\S+")


class _RedactSecrets(logging.Filter):
    """httpx logs every request URL at INFO, and Google's key travels in the URL."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(str(a)) if isinstance(a, str | httpx.URL) else a
                                for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


_REDACT = _RedactSecrets()


def protect_logs() -> None:
    """Redact keys in httpx's own log lines (idempotent)."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if _REDACT not in logger.filters:
            logger.addFilter(_REDACT)


def make_client(timeout: float | httpx.Timeout = 15.0, *, transport: httpx.AsyncBaseTransport
                | None = None) -> httpx.AsyncClient:
    """The shared client: explicit timeouts, redirects never followed implicitly, our User-Agent."""
    protect_logs()
    if not isinstance(timeout, httpx.Timeout):
        timeout = httpx.Timeout(timeout, connect=min(timeout, 5.0))
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False, transport=transport,
                             headers={"User-Agent": USER_AGENT})


def redact(text: str) -> str:
    """``text`` with API keys in query strings and bearer tokens replaced by ``***``."""
    return _BEARER.sub(r"\1***", _SECRET_PARAM.sub(r"\1***", text))


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Retry-After as seconds (it may also be an HTTP date); None when absent or unreadable."""
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    date = response.headers.get("date")
    now = parsedate_to_datetime(date) if date else None
    if now is None:
        return None
    return max(0.0, (when - now).total_seconds())


def json_body(response: httpx.Response) -> Any:
    """The parsed JSON body, or None when the body is not JSON (an HTML error page, say)."""
    try:
        return response.json()
    except ValueError:
        return None


@dataclass
class RetryPolicy:
    """How often a transient failure (429, 503, timeout) is retried before it is reported."""

    attempts: int = 3           # total tries, the first included
    backoff: float = 2.0        # seconds before the first retry without Retry-After; doubles
    retry_timeouts: bool = False


Classifier = Callable[[httpx.Response], UpstreamError | None]


async def send(client: httpx.AsyncClient, request: httpx.Request, *, limiter: RateLimiter,
               classify: Classifier, provider: str, cost: float = 1.0,
               policy: RetryPolicy | None = None) -> httpx.Response:
    """Send ``request`` under ``limiter``; map failures to UpstreamError and retry transient ones.

    ``classify`` turns a response into an error (or None for success). Only errors it
    marks ``transient`` are retried, after Retry-After or an exponential back-off,
    and never for longer than the limiter's ``max_wait``.
    """
    policy = policy or RetryPolicy()
    where = f"{provider} {request.method} {redact(request.url.path)}"
    delay = policy.backoff
    for attempt in range(1, policy.attempts + 1):
        await limiter.acquire(cost)
        try:
            response = await client.send(request)
            await response.aread()
        except httpx.TimeoutException:
            error = UpstreamError(f"{where} timed out", reason="timeout", transient=True)
            if not policy.retry_timeouts:
                raise error from None
        except httpx.TransportError as exc:
            raise UpstreamError(f"{where} failed: {redact(type(exc).__name__)}",
                                reason="unavailable", transient=True) from None
        else:
            classified = classify(response)
            if classified is None:
                return response
            error = classified
        if not error.transient or attempt == policy.attempts:
            raise error
        wait = error.retry_after if error.retry_after is not None else delay
        if wait > limiter.max_wait:
            raise error
        limiter.defer(wait)
        delay *= 2
    raise AssertionError("unreachable")  # the loop always returns or raises
