"""The one error hierarchy: services raise these, the web layer maps them to responses."""

from __future__ import annotations

import errno
import sqlite3
from typing import Any


class BookshelfError(Exception):
    """Base error with an HTTP status and a machine-readable code (API.md)."""

    status = 500
    code = "internal"

    def __init__(self, message: str, details: list[Any] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}


class InvalidInput(BookshelfError):
    status = 400
    code = "invalid_input"


class Unauthorized(BookshelfError):
    status = 401
    code = "unauthorized"


class Forbidden(BookshelfError):
    """The caller is known but its role may not do this (a reader on an admin route)."""

    status = 403
    code = "forbidden"


class NotFound(BookshelfError):
    status = 404
    code = "not_found"


class MethodNotAllowed(BookshelfError):
    status = 405
    code = "method_not_allowed"


class Conflict(BookshelfError):
    status = 409
    code = "conflict"


class PayloadTooLarge(BookshelfError):
    status = 413
    code = "payload_too_large"


class RateLimited(BookshelfError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, int(retry_after)))})
        self.retry_after = retry_after


class UpstreamError(BookshelfError):
    """A remote provider failed; ``reason`` is a short stable tag (auth, quota, timeout...)."""

    status = 502
    code = "upstream_error"

    def __init__(
        self, message: str, reason: str = "error", retry_after: float | None = None, transient: bool = False
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.retry_after = retry_after
        self.transient = transient


class Unavailable(BookshelfError):
    status = 503
    code = "unavailable"


class CalibreError(Exception):
    """metadata.db is missing, unreadable or not calibre's (the import command prints it)."""


# -- how a failed job reads (the queue retries the transient, /api/jobs/failed shows the text) --


def is_transient(exc: BaseException) -> bool:
    """Worth retrying later: the network, a busy database, or a provider that said so."""
    if isinstance(exc, UpstreamError):
        return exc.transient
    if isinstance(exc, sqlite3.OperationalError):
        return "locked" in str(exc) or "busy" in str(exc)
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    if isinstance(exc, OSError) and exc.errno in (errno.ETIMEDOUT, errno.ECONNRESET, errno.EHOSTUNREACH):
        return True
    try:
        import httpx
    except ImportError:  # pragma: no cover - httpx is a dependency
        return False
    return isinstance(exc, httpx.TransportError)


def error_text(exc: BaseException) -> str:
    """What /api/jobs/failed shows: our errors' sentence, otherwise the exception's type and text."""
    message = getattr(exc, "message", None)
    if isinstance(message, str) and message:
        return message
    return f"{type(exc).__name__}: {exc}"[:2000]
