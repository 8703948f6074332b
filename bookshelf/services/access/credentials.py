"""Credentials for opds, kosync, hardcover and google_books: stored safely, checked cheaply.

opds, kosync and hardcover are each account's own (a device's user name is
unique across accounts, so it says whose device it is); google_books is one
server-wide key. The BOOKSHELF_* variables set the first admin's.
"""

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
from bookshelf.services.access.secrets_box import SealBox
from bookshelf.services.accounts import AccountService
from bookshelf.services.accounts.service import dummy_hash
from bookshelf.settings import Settings

SERVICES = ("opds", "kosync", "hardcover", "google_books")
PASSWORD_SERVICES = ("opds", "kosync")
ACCOUNT_SERVICES = ("opds", "kosync", "hardcover")
SERVER_SERVICES = ("google_books",)
SUCCESS_TTL_SECONDS = 300


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


class CredentialService:
    def __init__(self, db: Database, settings: Settings, box: SealBox, accounts: AccountService) -> None:
        self.db = db
        self.settings = settings
        self.box = box
        self.accounts = accounts
        # bcrypt costs ~0.25 s on a small machine and e-readers send credentials
        # with every request, so a success is remembered for a few minutes,
        # keyed by a keyed hash of what was presented. Failures are never cached
        # (API.md); instead one bcrypt check runs at a time, so a flood of wrong
        # keys (kosync has no rate limit: KOReader does not understand 429) costs
        # at most one core and never slows a device whose success is remembered.
        self._cache_key = secrets.token_bytes(32)
        self._successes: dict[bytes, tuple[float, str]] = {}  # marker -> (expiry, account id)
        self._bcrypt_turn = asyncio.Semaphore(1)
        self.listeners: list[Callable[[str], None]] = []
        accounts.on_delete.append(lambda _user_id: self._successes.clear())

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

    async def _env_for(self, user_id: str, service: str) -> dict[str, str] | None:
        """The environment's value, when it is this account's (the first admin's, or server-wide)."""
        env = self._env(service)
        if env is None or service in SERVER_SERVICES:
            return env
        return env if user_id == await self.accounts.first_admin_id() else None

    # -- API -------------------------------------------------------------------
    async def status(self, user_id: str, service: str) -> dict[str, Any]:
        _check_service(service)
        env = await self._env_for(user_id, service)
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
        row = await self._row(user_id, service)
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

    async def _row(self, user_id: str, service: str) -> Any:
        async with self.db.read() as conn:
            if service in SERVER_SERVICES:
                return await rows.get(conn, service)
            return await rows.get_for(conn, user_id, service)

    async def set(self, user_id: str, service: str, payload: Any) -> dict[str, Any]:
        _check_service(service)
        if await self._env_for(user_id, service) is not None:
            raise Conflict(
                f"The {service} credential is set by an environment variable", details=[{"code": "env_override"}]
            )
        if not isinstance(payload, dict):
            raise InvalidInput("Body must be a JSON object")
        username, secret = await self._secret_for(service, payload)
        env = self._env(service)
        taken = Conflict(
            f"That {service} user name belongs to another account", details=[{"field": "username", "message": "taken"}]
        )
        if username is not None and env is not None and env.get("username") == username:
            raise taken
        async with self.db.write() as conn:
            if service in SERVER_SERVICES:
                await rows.upsert(conn, service, username, secret, clock.now_iso())
            else:
                other = await rows.by_username(conn, service, username) if username is not None else None
                if other is not None and other.user_id != user_id:
                    raise taken
                await rows.upsert_for(conn, user_id, service, username, secret, clock.now_iso())
        self._changed(service)
        return await self.status(user_id, service)

    async def _secret_for(self, service: str, payload: dict[str, Any]) -> tuple[str | None, bytes]:
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

    async def delete(self, user_id: str, service: str) -> None:
        _check_service(service)
        if await self._env_for(user_id, service) is not None:
            raise Conflict(
                f"The {service} credential is set by an environment variable", details=[{"code": "env_override"}]
            )
        async with self.db.write() as conn:
            if service in SERVER_SERVICES:
                gone = await rows.delete(conn, service)
            else:
                gone = await rows.delete_for(conn, user_id, service)
            if not gone:
                raise NotFound(f"No {service} credential is stored")
        self._changed(service)

    def _changed(self, service: str) -> None:
        self._successes.clear()
        for listener in self.listeners:
            listener(service)

    # -- checks used by /opds and /kosync -----------------------------------------
    async def configured(self, user_id: str, service: str) -> bool:
        return bool((await self.status(user_id, service))["configured"])

    async def any_configured(self, service: str) -> bool:
        """Whether any account can sign in to ``service`` (with none, every request is 401)."""
        if self._env(service) is not None:
            return True
        async with self.db.read() as conn:
            return bool(await rows.with_service(conn, service))

    def _marker(self, service: str, username: str, password: str) -> bytes:
        text = f"{service}\0{username}\0{password}".encode("utf-8", "surrogatepass")
        return hmac.new(self._cache_key, text, hashlib.sha256).digest()

    def remembered(self, service: str, username: str, password: str) -> str | None:
        """The account these credentials were verified for recently: a free check, no bcrypt."""
        found = self._successes.get(self._marker(service, username, password))
        return found[1] if found is not None and found[0] > time.monotonic() else None

    async def verify_password(self, service: str, username: str, password: str) -> str | None:
        """The account whose credentials these are, or None.

        opds: the plain password. kosync: pass ``md5(password)`` as KOReader sends it.
        """
        known = self.remembered(service, username, password)
        if known is not None:
            return known
        marker = self._marker(service, username, password)
        user_id = await self._verify_uncached(service, username, password)
        if user_id is not None:
            self._successes[marker] = (time.monotonic() + SUCCESS_TTL_SECONDS, user_id)
        return user_id

    async def _verify_uncached(self, service: str, username: str, password: str) -> str | None:
        env = self._env(service)
        if env is not None and hmac.compare_digest(username.encode("utf-8", "surrogatepass"), env["username"].encode()):
            expected = env["password"] if service == "opds" else md5_hex(env["password"])
            if hmac.compare_digest(password.encode("utf-8", "surrogatepass"), expected.encode()):
                return await self.accounts.first_admin_id()
            return None
        async with self.db.read() as conn:
            row = await rows.by_username(conn, service, username)
        secret = row.secret if row is not None else dummy_hash()
        try:
            async with self._bcrypt_turn:
                pass_ok = await asyncio.to_thread(bcrypt.checkpw, password.encode("utf-8", "surrogatepass"), secret)
        except ValueError:
            pass_ok = False
        return row.user_id if row is not None and pass_ok else None

    async def secret(self, service: str, user_id: str | None = None) -> str | None:
        """The hardcover token (of ``user_id``) or the google_books key in clear, for provider calls only."""
        env = self._env(service)
        if env is not None and (service in SERVER_SERVICES or user_id == await self.accounts.first_admin_id()):
            return env.get("token") or env.get("apiKey")
        if service not in SERVER_SERVICES and user_id is None:
            return None
        row = await self._row(user_id or "", service)
        return self.box.open(row.secret) if row else None

    async def accounts_with(self, service: str) -> list[str]:
        """Accounts that have ``service`` set (the first admin's by environment included)."""
        async with self.db.read() as conn:
            found = await rows.with_service(conn, service)
        if self._env(service) is not None:
            first = await self.accounts.first_admin_id()
            found = [first, *(u for u in found if u != first)]
        return found


def _check_service(service: str) -> None:
    if service not in SERVICES:
        raise NotFound(f"Unknown credential service {service!r}")


def _only(payload: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(payload) - allowed)
    if unknown:
        raise InvalidInput("Unknown fields", details=[{"field": name, "message": "unknown field"} for name in unknown])


def _text(payload: dict[str, Any], name: str, low: int, high: int) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not low <= len(value) <= high:
        raise InvalidInput(
            f"{name} must be a string of {low} to {high} characters",
            details=[{"field": name, "message": f"string of {low}..{high} characters"}],
        )
    return value
