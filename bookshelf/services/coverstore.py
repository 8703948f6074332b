"""Book covers on disk: normalised image and thumbnail under covers/<sha[:2]>/, named by SHA-256."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from bookshelf.services.files import cover_path
from bookshelf.settings import Settings

MAX_COVER_BYTES = 5 * 1024 * 1024


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def save_cover(settings: Settings, data: bytes) -> str:
    """Normalise ``data`` (FormatError if it is not a usable image), store it and its thumbnail;
    returns the SHA-256 that names them. Blocking: run in a thread."""
    from bookshelf.formats import make_thumbnail, normalise_cover

    image, _media_type = normalise_cover(data)
    sha = hashlib.sha256(image).hexdigest()
    full = cover_path(settings, sha)
    if not full.exists():
        _write_atomic(full, image)
    thumb = cover_path(settings, sha, thumb=True)
    if not thumb.exists():
        _write_atomic(thumb, make_thumbnail(image))
    return sha


def read_cover(settings: Settings, sha: str | None) -> bytes | None:
    if not sha:
        return None
    try:
        return cover_path(settings, sha).read_bytes()
    except OSError:
        return None
