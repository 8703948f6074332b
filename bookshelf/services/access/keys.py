"""API keys: setup, create, list, delete, and authenticating a presented key. A key acts as its account."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable

import aiosqlite

from bookshelf import clock
from bookshelf.db import Database
from bookshelf.db import keys as key_rows
from bookshelf.errors import Conflict, InvalidInput, NotFound
from bookshelf.models import ApiKey
from bookshelf.services.accounts import AccountService
from bookshelf.services.accounts.service import clean_username

KEY_PREFIX = "bks_"


def hash_key(raw: str) -> str:
    # Keys carry 256 random bits, so a plain SHA-256 is enough: there is nothing to brute-force.
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def new_raw_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


class KeyService:
    def __init__(self, db: Database, accounts: AccountService) -> None:
        self.db = db
        self.accounts = accounts
        # lastUsedAt is kept here and flushed in batches, so authenticating a
        # request never costs a database write.
        self._last_used: dict[str, str] = {}
        self._valid: dict[str, tuple[str, str]] = {}  # key hash -> (key id, account id), positive cache
        self.on_delete: list[Callable[[str], None]] = []  # callbacks(key_id), e.g. ending UI sessions
        accounts.on_delete.append(self._forget_account)

    async def setup(self, label: str | None, username: object = None) -> tuple[ApiKey, str]:
        """The first key, for the first admin (created now, or adopted from an older data folder)."""
        label = _label(label or "default")
        name = clean_username(username) if username is not None else None
        if await self.count() > 0:
            raise Conflict("Setup is already done: an API key exists")
        admin = await self.accounts.first_admin()
        async with self.db.write() as conn:
            if await key_rows.count(conn) > 0:
                raise Conflict("Setup is already done: an API key exists")
            created = await self._insert(conn, admin.id, label)
        if name is not None and name != admin.username:
            await self.accounts.rename_first_admin(admin.id, name)
        return created

    async def create(self, label: str | None, user_id: str | None = None) -> tuple[ApiKey, str]:
        """A new key for ``user_id``; None (the command line) means the first admin."""
        label = _label(label)
        owner = user_id if user_id is not None else await self.accounts.first_admin_id()
        async with self.db.write() as conn:
            return await self._insert(conn, owner, label)

    async def _insert(self, conn: aiosqlite.Connection, user_id: str, label: str) -> tuple[ApiKey, str]:
        raw = new_raw_key()
        key = ApiKey(id=str(uuid.uuid4()), label=label, created_at=clock.now_iso(), last_used_at=None)
        await key_rows.insert(conn, key.id, user_id, key.label, hash_key(raw), key.created_at)
        return key, raw

    async def list(self, user_id: str) -> list[ApiKey]:
        async with self.db.read() as conn:
            keys = await key_rows.list_all(conn, user_id)
        return [self._with_usage(key) for key in keys]

    def _with_usage(self, key: ApiKey) -> ApiKey:
        used = self._last_used.get(key.id)
        if used and (key.last_used_at is None or used > key.last_used_at):
            return ApiKey(key.id, key.label, key.created_at, used)
        return key

    async def count(self) -> int:
        async with self.db.read() as conn:
            return await key_rows.count(conn)

    async def delete(self, key_id: str, calling_key_id: str | None, user_id: str | None = None) -> None:
        """Delete a key; with ``user_id`` only that account's (another's is not found)."""
        if key_id == calling_key_id:
            raise Conflict("A key cannot delete itself")
        async with self.db.write() as conn:
            if await key_rows.get(conn, key_id, user_id) is None:
                raise NotFound("API key not found")
            if await key_rows.count(conn) <= 1:
                raise Conflict("The last API key cannot be deleted")
            await key_rows.delete(conn, key_id)
        self._valid = {h: found for h, found in self._valid.items() if found[0] != key_id}
        self._last_used.pop(key_id, None)
        for callback in self.on_delete:
            callback(key_id)

    async def authenticate(self, raw: str) -> str | None:
        """The id of the key ``raw``, or None."""
        found = await self.identify(raw)
        return found[0] if found else None

    async def identify(self, raw: str) -> tuple[str, str] | None:
        """(key id, account id) of the key ``raw``, or None. Lookup by hash is constant-time in the key."""
        if not raw or len(raw) > 200:
            return None
        digest = hash_key(raw)
        found = self._valid.get(digest)
        if found is None:
            async with self.db.read() as conn:
                found = await key_rows.find_by_hash(conn, digest)
            if found is None:
                # Spend the same comparison either way so timing says nothing.
                hmac.compare_digest(digest, digest)
                return None
            self._valid[digest] = found
        self._last_used[found[0]] = clock.now_iso()
        return found

    def _forget_account(self, user_id: str) -> None:
        # The rows went with the account (ON DELETE CASCADE); drop the cached copies too.
        gone = {key_id for key_id, owner in self._valid.values() if owner == user_id}
        self._valid = {h: found for h, found in self._valid.items() if found[1] != user_id}
        for key_id in gone:
            self._last_used.pop(key_id, None)
            for callback in self.on_delete:
                callback(key_id)

    async def exists(self, key_id: str) -> bool:
        async with self.db.read() as conn:
            return await key_rows.get(conn, key_id) is not None

    async def flush_usage(self) -> None:
        if not self._last_used:
            return
        used, self._last_used = self._last_used, {}
        async with self.db.write() as conn:
            await key_rows.touch(conn, used)


def _label(label: object) -> str:
    if not isinstance(label, str) or not 1 <= len(label.strip()) <= 100:
        raise InvalidInput(
            "label must be a string of 1 to 100 characters",
            details=[{"field": "label", "message": "1..100 characters"}],
        )
    return label.strip()
