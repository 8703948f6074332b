"""Stored covers: normalised and written under covers/<sha[:2]>/<sha>.jpg with a thumbnail, read back."""

from __future__ import annotations

import hashlib
import logging

from bookshelf.formats import FormatError
from bookshelf.formats.covers import cover_and_thumbnail
from bookshelf.services.storage import durable
from bookshelf.services.storage.files import cover_path
from bookshelf.settings import Settings

MAX_COVER_BYTES = 5 * 1024 * 1024
log = logging.getLogger("bookshelf.ingest")


def read_cover(settings: Settings, sha: str | None) -> bytes | None:
    if not sha:
        return None
    try:
        return cover_path(settings, sha).read_bytes()
    except OSError:
        return None


def store_cover(settings: Settings, image: bytes) -> str | None:
    """Normalise and save a cover and its thumbnail under covers/; returns its sha256 (None if unusable)."""

    try:
        data, _, thumb = cover_and_thumbnail(image)
    except FormatError as exc:
        log.info("cover ignored: %s", exc.message)
        return None
    sha = hashlib.sha256(data).hexdigest()
    for path, content in ((cover_path(settings, sha), data), (cover_path(settings, sha, thumb=True), thumb)):
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        durable.put_aside(path, content)
    durable.fsync_dir(cover_path(settings, sha).parent)
    return sha
