"""AccountService: the users table's rules (roles, the last admin, usernames, passwords)."""

from __future__ import annotations

import asyncio
import functools
import hmac
import unicodedata
import uuid
from collections.abc import Callable
from typing import Any

import bcrypt

from bookshelf import clock
from bookshelf.db import Database
from bookshelf.db import users as rows
from bookshelf.errors import Conflict, InvalidInput, NotFound
from bookshelf.folding import name_key
from bookshelf.models import ROLES, Account

FIRST_ADMIN = "admin"
MAX_USERNAME = 64
MIN_PASSWORD = 8
MAX_PASSWORD_BYTES = 72  # bcrypt reads no further


@functools.cache
def dummy_hash() -> bytes:
    """A hash at the real cost to check against when a user name is unknown, so timing does not
    say which names exist."""
    return bcrypt.hashpw(b"not a password", bcrypt.gensalt())


def clean_username(value: object) -> str:
    if not isinstance(value, str):
        raise _invalid("username", "username must be a string of 1 to 64 characters")
    name = unicodedata.normalize("NFC", value.strip())
    if not 1 <= len(name) <= MAX_USERNAME:
        raise _invalid("username", "username must be 1 to 64 characters")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") for ch in name):
        raise _invalid("username", "username may not contain control or invisible characters")
    return name


def clean_password(value: object) -> str:
    if not isinstance(value, str) or len(value) < MIN_PASSWORD:
        raise _invalid("password", f"password must be a string of at least {MIN_PASSWORD} characters")
    if len(value.encode("utf-8", "surrogatepass")) > MAX_PASSWORD_BYTES:
        raise _invalid("password", "password is longer than 72 bytes (bcrypt's limit)")
    return value


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, details=[{"field": field, "message": message}])


class AccountService:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache: dict[str, Account] = {}  # every request resolves its account: no read per request
        self._bcrypt_turn = asyncio.Semaphore(1)
        self.on_delete: list[Callable[[str], None]] = []  # callbacks(user_id): drop cached keys and sessions

    # -- lookups -----------------------------------------------------------------------------
    async def get(self, user_id: str) -> Account:
        cached = self._cache.get(user_id)
        if cached is not None:
            return cached
        async with self.db.read() as conn:
            row = await rows.get(conn, user_id)
        if row is None:
            raise NotFound("Account not found")
        self._cache[user_id] = row.account
        return row.account

    async def find(self, user_id: str) -> Account | None:
        try:
            return await self.get(user_id)
        except NotFound:
            return None

    async def list(self) -> list[Account]:
        async with self.db.read() as conn:
            return [row.account for row in await rows.list_all(conn)]

    async def first_admin(self) -> Account:
        """The first admin, created (named admin, no password) when there is none yet.

        Setup adopts it; the BOOKSHELF_* credential variables belong to it.
        """
        async with self.db.read() as conn:
            row = await rows.first_admin(conn)
        if row is not None:
            return row.account
        async with self.db.write() as conn:
            row = await rows.first_admin(conn)
            if row is not None:
                return row.account
            account = Account(str(uuid.uuid4()), FIRST_ADMIN, "admin", True)
            await rows.insert(conn, account, name_key(account.username), None, clock.now_iso())
        return account

    async def first_admin_id(self) -> str:
        return (await self.first_admin()).id

    # -- changes -----------------------------------------------------------------------------
    async def create(self, payload: Any) -> Account:
        body = _object(payload, {"username", "password", "role", "canUpload"})
        name = clean_username(body.get("username"))
        password = clean_password(body.get("password"))
        role = _role(body.get("role"))
        can_upload = _flag(body, "canUpload", default=role == "admin")
        hashed = await asyncio.to_thread(bcrypt.hashpw, password.encode("utf-8", "surrogatepass"), bcrypt.gensalt())
        account = Account(str(uuid.uuid4()), name, role, can_upload)
        async with self.db.write() as conn:
            if await rows.by_username_key(conn, name_key(name)) is not None:
                raise Conflict("That username is taken", details=[{"field": "username", "message": "taken"}])
            await rows.insert(conn, account, name_key(name), hashed, clock.now_iso())
        return account

    async def rename_first_admin(self, user_id: str, username: str) -> Account:
        """Setup's {"username"}: the first admin takes the chosen name."""
        return await self.update(user_id, {"username": username})

    async def update(self, user_id: str, payload: Any) -> Account:
        body = _object(payload, {"username", "password", "role", "canUpload"})
        hashed: bytes | None = None
        if "password" in body:
            password = clean_password(body["password"])
            hashed = await asyncio.to_thread(bcrypt.hashpw, password.encode("utf-8", "surrogatepass"), bcrypt.gensalt())
        async with self.db.write() as conn:
            row = await rows.get(conn, user_id)
            if row is None:
                raise NotFound("Account not found")
            old = row.account
            name = clean_username(body["username"]) if "username" in body else old.username
            role = _role(body["role"]) if "role" in body else old.role
            can_upload = _flag(body, "canUpload", default=old.can_upload)
            if name_key(name) != name_key(old.username):
                if await rows.by_username_key(conn, name_key(name)) is not None:
                    raise Conflict("That username is taken", details=[{"field": "username", "message": "taken"}])
            if old.role == "admin" and role != "admin" and await rows.count_admins(conn) <= 1:
                raise Conflict("The last admin cannot become a reader")
            account = Account(old.id, name, role, can_upload)
            await rows.update(conn, account, name_key(name), hashed, clock.now_iso(), hashed is not None)
        self._cache[user_id] = account
        return account

    async def delete(self, user_id: str, caller: Account) -> None:
        async with self.db.write() as conn:
            row = await rows.get(conn, user_id)
            if row is None:
                raise NotFound("Account not found")
            if row.account.role == "admin" and await rows.count_admins(conn) <= 1:
                raise Conflict("The last admin cannot be deleted")
            if user_id == caller.id:
                raise Conflict("An account cannot delete itself")
            # Cascades to the account's keys, sessions, credentials, progress, statistics and Hardcover rows.
            await rows.delete(conn, user_id)
        self._cache.pop(user_id, None)
        for callback in self.on_delete:
            callback(user_id)

    # -- password sign-in --------------------------------------------------------------------
    async def verify_password(self, username: str, password: str) -> Account | None:
        """The account these credentials open, or None. One bcrypt at a time, as for kosync/opds."""
        if not isinstance(username, str) or not isinstance(password, str) or len(username) > 256:
            return None
        async with self.db.read() as conn:
            row = await rows.by_username_key(conn, name_key(username.strip()))
        secret = row.password_hash if row is not None and row.password_hash else dummy_hash()
        material = password.encode("utf-8", "surrogatepass")
        if len(material) > MAX_PASSWORD_BYTES:
            material = b""
        async with self._bcrypt_turn:
            try:
                good = await asyncio.to_thread(bcrypt.checkpw, material, secret)
            except ValueError:
                good = False
        if row is None or not row.password_hash or not good:
            return None
        # Constant-time in the name as well: the stored key was looked up by value.
        hmac.compare_digest(name_key(username.strip()), name_key(row.account.username))
        return row.account


def _object(payload: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise InvalidInput("Body must be a JSON object")
    unknown = sorted(set(payload) - allowed)
    if unknown:
        raise InvalidInput("Unknown fields", details=[{"field": name, "message": "unknown field"} for name in unknown])
    return payload


def _role(value: object) -> str:
    if value not in ROLES:
        raise _invalid("role", "role must be admin or reader")
    return str(value)


def _flag(body: dict[str, Any], name: str, default: bool) -> bool:
    if name not in body:
        return default
    value = body[name]
    if not isinstance(value, bool):
        raise _invalid(name, f"{name} must be true or false")
    return value
