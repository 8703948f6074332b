"""The secret box that seals stored tokens; its key lives in data/secret.key or the environment."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from nacl import secret, utils
from nacl.exceptions import CryptoError


class SecretKeyError(RuntimeError):
    pass


def load_or_create_key(path: Path, configured: str = "") -> bytes:
    if configured:
        try:
            key = base64.b64decode(configured, validate=True)
        except ValueError as exc:
            raise SecretKeyError("BOOKSHELF_SECRET_KEY must be base64 of 32 bytes") from exc
        if len(key) != secret.SecretBox.KEY_SIZE:
            raise SecretKeyError("BOOKSHELF_SECRET_KEY must be base64 of 32 bytes")
        return key
    if path.exists():
        key = base64.b64decode(path.read_bytes().strip())
        if len(key) != secret.SecretBox.KEY_SIZE:
            raise SecretKeyError(f"{path} does not hold a 32-byte key")
        return key
    key = utils.random(secret.SecretBox.KEY_SIZE)
    # Created 0600 from the start, never world-readable even for an instant.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(base64.b64encode(key) + b"\n")
        handle.flush()
        os.fsync(handle.fileno())
    return key


class SealBox:
    def __init__(self, key: bytes) -> None:
        self._box = secret.SecretBox(key)

    def seal(self, plaintext: str) -> bytes:
        return bytes(self._box.encrypt(plaintext.encode("utf-8")))

    def open(self, sealed: bytes) -> str:
        try:
            return self._box.decrypt(sealed).decode("utf-8")
        except CryptoError as exc:
            raise SecretKeyError("a stored secret cannot be opened with this secret key") from exc
