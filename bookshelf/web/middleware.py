"""ASGI middleware: trusted proxy headers, API authentication and the access log."""

from __future__ import annotations

import ipaddress
import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bookshelf.errors import RateLimited, Unauthorized
from bookshelf.web.http import error_response

access_log = logging.getLogger("bookshelf.access")

OPEN_API_ROUTES = {
    ("POST", "/api/auth/setup"),
    ("GET", "/api/openapi.json"),
    ("HEAD", "/api/openapi.json"),
    ("GET", "/api/docs"),
    ("HEAD", "/api/docs"),
}
HEALTH = "/api/health"


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


class ProxyHeaders:
    """Believe X-Forwarded-Proto/-Host/-Prefix/-For only from configured proxy addresses."""

    def __init__(self, app: ASGIApp, trusted: tuple[str, ...]) -> None:
        self.app = app
        self.networks = []
        for entry in trusted:
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                continue

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self.networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.networks and self._trusted(client_address(scope)):
            scope = dict(scope)
            proto = _header(scope, b"x-forwarded-proto")
            if proto in ("http", "https"):
                scope["scheme"] = proto
            host = _header(scope, b"x-forwarded-host")
            if host:
                host = host.split(",")[0].strip()
                headers = [(k, v) for k, v in scope["headers"] if k != b"host"]
                scope["headers"] = [*headers, (b"host", host.encode("latin-1"))]
            prefix = _header(scope, b"x-forwarded-prefix")
            if prefix and prefix.startswith("/") and ".." not in prefix:
                scope["root_path"] = prefix.rstrip("/")
            forwarded_for = _header(scope, b"x-forwarded-for")
            if forwarded_for:
                scope["client"] = (forwarded_for.split(",")[-1].strip(), 0)
        await self.app(scope, receive, send)


# Surfaces with their own authentication (device credentials) or none at all.
_OWN_AUTH = ("/kosync", "/opds", "/static")
ACCOUNT = "bookshelf.account"
KEY_ID = "bookshelf.key_id"


class ApiAuth:
    """Every /api route but the open ones needs a key (Bearer or X-API-Key) or a UI session.

    The account behind it goes into ``scope["bookshelf.account"]`` (read with
    ``web.http.account_of``). UI pages get it from the session cookie too, but
    are never refused here: each page redirects to sign-in on its own.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(_OWN_AUTH):
            await self.app(scope, receive, send)
            return
        api = path == "/api" or path.startswith("/api/")
        rt = scope["app"].state.runtime
        method = scope["method"]
        identity = await self._identify(scope, rt, api)
        account = await rt.accounts.find(identity[1]) if identity else None
        if account is not None:
            scope[ACCOUNT] = account
            if identity and identity[0]:
                scope[KEY_ID] = identity[0]
        if not api:
            await self.app(scope, receive, send)
            return
        open_route = (method, path) in OPEN_API_ROUTES or path == HEALTH
        if account is not None or open_route:
            await self.app(scope, receive, send)
            return
        address = client_address(scope)
        wait = rt.auth_limiter.retry_after(address)
        if wait is not None:
            await error_response(RateLimited("Too many failed attempts; try again later", wait))(scope, receive, send)
            return
        if _presented_credentials(scope):
            rt.auth_limiter.fail(address)
        message = "A valid API key is required"
        if scope.get("bookshelf.csrf_failed"):
            message = "A signed-in browser must send its X-CSRF-Token header with this request"
        await error_response(Unauthorized(message))(scope, receive, send)

    async def _identify(self, scope: Scope, rt: Any, api: bool) -> tuple[str | None, str] | None:
        raw = None
        if api:
            authorization = _header(scope, b"authorization")
            if authorization and authorization[:7].lower() == "bearer ":
                raw = authorization[7:].strip()
            raw = raw or _header(scope, b"x-api-key")
        if raw:
            identity: tuple[str | None, str] | None = await rt.keys.identify(raw)
            return identity
        sessions = getattr(rt, "sessions", None)
        if sessions is None:
            return None
        if api:
            identity = await sessions.identity_for_scope(scope)
            return identity
        session = await sessions.for_scope(scope)
        return (session.key_id, session.user_id) if session is not None else None


def _presented_credentials(scope: Scope) -> bool:
    return any(k in (b"authorization", b"x-api-key", b"cookie") for k, _ in scope.get("headers", []))


class AccessLog:
    """One line per request: method, path (never the query, which may hold secrets), status, time."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            access_log.info(
                "%s %s %d %.1fms",
                scope["method"],
                scope.get("path", ""),
                status,
                elapsed,
                extra={
                    "method": scope["method"],
                    "path": scope.get("path", ""),
                    "status": status,
                    "durationMs": round(elapsed, 1),
                },
            )
