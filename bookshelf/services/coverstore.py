"""Reading stored covers back (ingest.store_cover writes them under covers/<sha[:2]>/<sha>.jpg)."""

from __future__ import annotations

from bookshelf.services.files import cover_path
from bookshelf.settings import Settings

MAX_COVER_BYTES = 5 * 1024 * 1024


def read_cover(settings: Settings, sha: str | None) -> bytes | None:
    if not sha:
        return None
    try:
        return cover_path(settings, sha).read_bytes()
    except OSError:
        return None
