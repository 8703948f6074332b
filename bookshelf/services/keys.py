"""API keys: setup, create, list, delete, and authenticating a presented key."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

from bookshelf import clock
from bookshelf.db import Database
from bookshelf.db import keys as key_rows
from bookshelf.errors import Conflict, InvalidInput, NotFound
from bookshelf.models import ApiKey

KEY_PREFIX = "bks_"


def hash_key(raw: str) -> str:
    # Keys carry 256 random bits, so a plain SHA-256 is enough: there is nothing to brute-force.
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def new_raw_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


class KeyService:
    def __init__(self, db: Database) -> None:
        self.db = db
        # lastUsedAt is kept here and flushed in batches, so authenticating a
        # request never costs a database write.
        self._last_used: dict[str, str] = {}
        self._valid: dict[str, str] = {}  # key hash -> key id, positive cache
        self.on_delete: list = []  # callbacks(key_id), e.g. ending UI sessions

    async def setup(self, label: str | None) -> tuple[ApiKey, str]:
        label = _label(label or "default")
        async with self.db.write() as conn:
            if await key_rows.count(conn) > 0:
                raise Conflict("Setup is already done: an API key exists")
            return await self._insert(conn, label)

    async def create(self, label: str | None) -> tuple[ApiKey, str]:
        label = _label(label)
        async with self.db.write() as conn:
            return await self._insert(conn, label)

    async def _insert(self, conn, label: str) -> tuple[ApiKey, str]:
        raw = new_raw_key()
        key = ApiKey(id=str(uuid.uuid4()), label=label, created_at=clock.now_iso(), last_used_at=None)
        await key_rows.insert(conn, key.id, key.label, hash_key(raw), key.created_at)
        return key, raw

    async def list(self) -> list[ApiKey]:
        async with self.db.read() as conn:
            keys = await key_rows.list_all(conn)
        return [self._with_usage(key) for key in keys]

    def _with_usage(self, key: ApiKey) -> ApiKey:
        used = self._last_used.get(key.id)
        if used and (key.last_used_at is None or used > key.last_used_at):
            return ApiKey(key.id, key.label, key.created_at, used)
        return key

    async def count(self) -> int:
        async with self.db.read() as conn:
            return await key_rows.count(conn)

    async def delete(self, key_id: str, calling_key_id: str | None) -> None:
        if key_id == calling_key_id:
            raise Conflict("A key cannot delete itself")
        async with self.db.write() as conn:
            if await key_rows.get(conn, key_id) is None:
                raise NotFound("API key not found")
            if await key_rows.count(conn) <= 1:
                raise Conflict("The last API key cannot be deleted")
            await key_rows.delete(conn, key_id)
        self._valid = {h: k for h, k in self._valid.items() if k != key_id}
        self._last_used.pop(key_id, None)
        for callback in self.on_delete:
            callback(key_id)

    async def authenticate(self, raw: str) -> str | None:
        """The id of the key ``raw``, or None. Lookup by hash is constant-time in the key."""
        if not raw or len(raw) > 200:
            return None
        digest = hash_key(raw)
        key_id = self._valid.get(digest)
        if key_id is None:
            async with self.db.read() as conn:
                key_id = await key_rows.find_id_by_hash(conn, digest)
            if key_id is None:
                # Spend the same comparison either way so timing says nothing.
                hmac.compare_digest(digest, digest)
                return None
            self._valid[digest] = key_id
        self._last_used[key_id] = clock.now_iso()
        return key_id

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
