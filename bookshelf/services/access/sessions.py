"""Web UI sessions: sign in with an API key or a password, a signed cookie, CSRF tokens, and ending sessions.

The cookie holds a random token plus an HMAC of it under ``data/session.key``,
so a forged or truncated cookie is refused without touching the database. Only
a SHA-256 of the token is stored; a session row belongs to an account and, when
opened with a key, to that key, and is deleted with either (foreign key
cascade, KeyService.on_delete and AccountService.on_delete).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from bookshelf import clock
from bookshelf.db import Database
from bookshelf.db import sessions as rows
from bookshelf.errors import Unauthorized
from bookshelf.services.access.keys import KeyService
from bookshelf.services.access.secrets_box import load_or_create_key
from bookshelf.services.accounts import AccountService

COOKIE = "bookshelf_session"
CSRF_COOKIE = "bookshelf_csrf"  # double-submit token for forms shown before sign-in
CSRF_HEADER = "x-csrf-token"
LIFETIME = timedelta(days=30)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Session:
    key_id: str | None  # None when opened with a password
    csrf: str
    token_hash: str
    user_id: str = ""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def cookie_from_scope(scope: Any, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed Cookie header is just no cookie
                continue
            if name in jar:
                return jar[name].value
    return None


def header_from_scope(scope: Any, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


class SessionService:
    def __init__(self, db: Database, keys: KeyService, accounts: AccountService, key_path: Path) -> None:
        self.db = db
        self.keys = keys
        self.accounts = accounts
        self._secret = load_or_create_key(key_path)
        # token hash -> Session; a cache so each page or API call costs no database read.
        self._cache: dict[str, tuple[Session, str]] = {}
        keys.on_delete.append(self._forget_key)
        accounts.on_delete.append(self._forget_account)

    # --- cookies -------------------------------------------------------------------------------

    def _sign(self, token: str) -> str:
        mac = hmac.new(self._secret, token.encode("ascii"), hashlib.sha256).hexdigest()[:32]
        return f"{token}.{mac}"

    def _unsign(self, value: str | None) -> str | None:
        if not value or len(value) > 200 or "." not in value:
            return None
        token, _, mac = value.rpartition(".")
        try:
            expected = self._sign(token).rpartition(".")[2]
        except UnicodeEncodeError:
            return None
        return token if hmac.compare_digest(mac, expected) else None

    def new_form_token(self) -> str:
        """A signed random value for the pre-sign-in double-submit cookie."""
        return self._sign(secrets.token_urlsafe(24))

    def form_token_valid(self, cookie: str | None, submitted: str | None) -> bool:
        if not cookie or not submitted or self._unsign(cookie) is None:
            return False
        return hmac.compare_digest(cookie.encode("latin-1", "replace"), submitted.encode("latin-1", "replace"))

    # --- lifecycle -----------------------------------------------------------------------------

    async def sign_in(self, raw_key: str) -> tuple[str, Session]:
        """(cookie value, session) for a valid API key; Unauthorized otherwise."""
        found = await self.keys.identify(raw_key.strip())
        if found is None:
            raise Unauthorized("That API key is not valid")
        return await self.open_for(found[1], found[0])

    async def sign_in_password(self, username: str, password: str) -> tuple[str, Session]:
        """(cookie value, session) for an account's user name and password; Unauthorized otherwise."""
        account = await self.accounts.verify_password(username, password)
        if account is None:
            raise Unauthorized("That user name and password do not match")
        return await self.open_for(account.id)

    async def open_for(self, user_id: str, key_id: str | None = None) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        now = clock.now()
        row = rows.SessionRow(
            token_hash=_hash(token),
            user_id=user_id,
            key_id=key_id,
            csrf=secrets.token_urlsafe(24),
            created_at=clock.iso(now),
            expires_at=clock.iso(now + LIFETIME),
        )
        async with self.db.write() as conn:
            await rows.delete_expired(conn, clock.iso(now))
            await rows.insert(conn, row)
        session = Session(key_id=key_id, csrf=row.csrf, token_hash=row.token_hash, user_id=user_id)
        self._cache[row.token_hash] = (session, row.expires_at)
        return self._sign(token), session

    async def sign_out(self, session: Session) -> None:
        self._cache.pop(session.token_hash, None)
        async with self.db.write() as conn:
            await rows.delete(conn, session.token_hash)

    def _forget_key(self, key_id: str) -> None:
        # The rows went with the key (ON DELETE CASCADE); drop the cached copies too.
        self._cache = {h: s for h, s in self._cache.items() if s[0].key_id != key_id}

    def _forget_account(self, user_id: str) -> None:
        self._cache = {h: s for h, s in self._cache.items() if s[0].user_id != user_id}

    # --- lookups -------------------------------------------------------------------------------

    async def from_cookie(self, value: str | None) -> Session | None:
        token = self._unsign(value)
        if token is None:
            return None
        token_hash = _hash(token)
        now = clock.now_iso()
        cached = self._cache.get(token_hash)
        if cached is None:
            async with self.db.read() as conn:
                row = await rows.get(conn, token_hash)
            if row is None:
                return None
            cached = (Session(row.key_id, row.csrf, row.token_hash, row.user_id), row.expires_at)
            self._cache[token_hash] = cached
        session, expires_at = cached
        if expires_at <= now:
            self._cache.pop(token_hash, None)
            return None
        return session

    async def for_scope(self, scope: Any) -> Session | None:
        return await self.from_cookie(cookie_from_scope(scope, COOKIE))

    async def identity_for_scope(self, scope: Any) -> tuple[str | None, str] | None:
        """(key id or None, account id) behind a cookie-authenticated /api request; unsafe methods
        need X-CSRF-Token."""
        session = await self.for_scope(scope)
        if session is None:
            return None
        if scope.get("method", "GET") not in SAFE_METHODS and not csrf_matches(session, scope):
            scope["bookshelf.csrf_failed"] = True
            return None
        return session.key_id, session.user_id


def csrf_matches(session: Session, scope: Any) -> bool:
    presented = header_from_scope(scope, CSRF_HEADER.encode())
    if not presented:
        return False
    return hmac.compare_digest(presented.encode("latin-1"), session.csrf.encode("latin-1"))
