"""Credentials for opds, kosync, hardcover and google_books: stored safely, checked cheaply."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from typing import Any

import bcrypt

from bookshelf import clock
from bookshelf.db import Database
from bookshelf.db import credentials as rows
from bookshelf.errors import Conflict, InvalidInput, NotFound
from bookshelf.services.secrets_box import SealBox
from bookshelf.settings import Settings

SERVICES = ("opds", "kosync", "hardcover", "google_books")
PASSWORD_SERVICES = ("opds", "kosync")
SUCCESS_TTL_SECONDS = 300


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


class CredentialService:
    def __init__(self, db: Database, settings: Settings, box: SealBox) -> None:
        self.db = db
        self.settings = settings
        self.box = box
        # bcrypt costs ~0.25 s on a small machine and e-readers send credentials
        # with every request, so a success is remembered for a few minutes,
        # keyed by a keyed hash of what was presented. Failures are never cached
        # (API.md); instead one bcrypt check runs at a time, so a flood of wrong
        # keys (kosync has no rate limit: KOReader does not understand 429) costs
        # at most one core and never slows a device whose success is remembered.
        self._cache_key = secrets.token_bytes(32)
        self._successes: dict[bytes, float] = {}
        self._bcrypt_turn = asyncio.Semaphore(1)
        self.listeners: list[Callable[[str], None]] = []

    # -- environment overrides -------------------------------------------------
    def _env(self, service: str) -> dict[str, str] | None:
        s = self.settings
        if service == "opds" and (s.opds_username or s.opds_password):
            return {"username": s.opds_username, "password": s.opds_password}
        if service == "kosync" and (s.kosync_username or s.kosync_password):
            return {"username": s.kosync_username, "password": s.kosync_password}
        if service == "hardcover" and s.hardcover_token:
            return {"token": s.hardcover_token}
        if service == "google_books" and s.google_books_api_key:
            return {"apiKey": s.google_books_api_key}
        return None

    # -- API -------------------------------------------------------------------
    async def status(self, service: str) -> dict[str, Any]:
        _check_service(service)
        env = self._env(service)
        if env is not None:
            body: dict[str, Any] = {
                "service": service,
                "configured": True,
                "source": "environment",
                "createdAt": None,
                "updatedAt": None,
            }
            if "username" in env:
                body["username"] = env["username"]
            return body
        async with self.db.read() as conn:
            row = await rows.get(conn, service)
        if row is None:
            return {"service": service, "configured": False}
        body = {
            "service": service,
            "configured": True,
            "source": "settings",
            "createdAt": row.created_at,
            "updatedAt": row.updated_at,
        }
        if service in PASSWORD_SERVICES:
            body["username"] = row.username
        return body

    async def set(self, service: str, payload: Any) -> dict[str, Any]:
        _check_service(service)
        if self._env(service) is not None:
            raise Conflict(
                f"The {service} credential is set by an environment variable", details=[{"code": "env_override"}]
            )
        if not isinstance(payload, dict):
            raise InvalidInput("Body must be a JSON object")
        username, secret = await self._secret_for(service, payload)
        async with self.db.write() as conn:
            await rows.upsert(conn, service, username, secret, clock.now_iso())
        self._changed(service)
        return await self.status(service)

    async def _secret_for(self, service: str, payload: dict) -> tuple[str | None, bytes]:
        if service in PASSWORD_SERVICES:
            _only(payload, {"username", "password"})
            username = _text(payload, "username", 1, 200)
            password = _text(payload, "password", 1, 1024)
            if service == "opds" and len(password.encode("utf-8")) > 72:
                raise InvalidInput(
                    "password is longer than 72 bytes (bcrypt's limit)",
                    details=[{"field": "password", "message": "at most 72 UTF-8 bytes"}],
                )
            # KOReader sends md5(password); store bcrypt of that so the plain password never lands.
            material = md5_hex(password) if service == "kosync" else password
            hashed = await asyncio.to_thread(bcrypt.hashpw, material.encode("utf-8"), bcrypt.gensalt())
            return username, hashed
        field = "token" if service == "hardcover" else "apiKey"
        _only(payload, {field})
        value = _text(payload, field, 1, 4096)
        if service == "hardcover" and value.lower().startswith("bearer "):
            value = value[7:].strip()
        return None, self.box.seal(value)

    async def delete(self, service: str) -> None:
        _check_service(service)
        if self._env(service) is not None:
            raise Conflict(
                f"The {service} credential is set by an environment variable", details=[{"code": "env_override"}]
            )
        async with self.db.write() as conn:
            if not await rows.delete(conn, service):
                raise NotFound(f"No {service} credential is stored")
        self._changed(service)

    def _changed(self, service: str) -> None:
        self._successes.clear()
        for listener in self.listeners:
            listener(service)

    # -- checks used by /opds and /kosync -----------------------------------------
    async def configured(self, service: str) -> bool:
        return (await self.status(service))["configured"]

    def _marker(self, service: str, username: str, password: str) -> bytes:
        text = f"{service}\0{username}\0{password}".encode("utf-8", "surrogatepass")
        return hmac.new(self._cache_key, text, hashlib.sha256).digest()

    def remembered(self, service: str, username: str, password: str) -> bool:
        """True when these credentials were verified recently: a free check, no bcrypt."""
        expires = self._successes.get(self._marker(service, username, password))
        return expires is not None and expires > time.monotonic()

    async def verify_password(self, service: str, username: str, password: str) -> bool:
        """opds: the plain password. kosync: pass ``md5(password)`` as KOReader sends it."""
        if self.remembered(service, username, password):
            return True
        marker = self._marker(service, username, password)
        ok = await self._verify_uncached(service, username, password)
        if ok:
            self._successes[marker] = time.monotonic() + SUCCESS_TTL_SECONDS
        return ok

    async def _verify_uncached(self, service: str, username: str, password: str) -> bool:
        env = self._env(service)
        if env is not None:
            expected = env["password"] if service == "opds" else md5_hex(env["password"])
            user_ok = hmac.compare_digest(username.encode("utf-8", "surrogatepass"), env["username"].encode())
            pass_ok = hmac.compare_digest(password.encode("utf-8", "surrogatepass"), expected.encode())
            return user_ok and pass_ok
        async with self.db.read() as conn:
            row = await rows.get(conn, service)
        if row is None or row.username is None:
            return False
        user_ok = hmac.compare_digest(username.encode("utf-8", "surrogatepass"), row.username.encode("utf-8"))
        try:
            async with self._bcrypt_turn:
                pass_ok = await asyncio.to_thread(bcrypt.checkpw, password.encode("utf-8", "surrogatepass"), row.secret)
        except ValueError:
            pass_ok = False
        return user_ok and pass_ok

    async def secret(self, service: str) -> str | None:
        """The hardcover token or google_books key in clear, for provider calls only."""
        env = self._env(service)
        if env is not None:
            return env.get("token") or env.get("apiKey")
        async with self.db.read() as conn:
            row = await rows.get(conn, service)
        return self.box.open(row.secret) if row else None


def _check_service(service: str) -> None:
    if service not in SERVICES:
        raise NotFound(f"Unknown credential service {service!r}")


def _only(payload: dict, allowed: set[str]) -> None:
    unknown = sorted(set(payload) - allowed)
    if unknown:
        raise InvalidInput("Unknown fields", details=[{"field": name, "message": "unknown field"} for name in unknown])


def _text(payload: dict, name: str, low: int, high: int) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not low <= len(value) <= high:
        raise InvalidInput(
            f"{name} must be a string of {low} to {high} characters",
            details=[{"field": name, "message": f"string of {low}..{high} characters"}],
        )
    return value
