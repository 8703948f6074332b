"""Candidate covers fetched server-side from the provider's image hosts, cached under data/cache/candidates."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bookshelf.db import Database
from bookshelf.db import candidates as candidate_rows
from bookshelf.errors import NotFound
from bookshelf.formats import sniff_image_type
from bookshelf.models import Candidate
from bookshelf.providers import allowed_cover_hosts, fetch_cover
from bookshelf.services.metadata.service import ProviderClients
from bookshelf.settings import Settings

MAX_BYTES = 5 * 1024 * 1024


class CandidateCovers:
    def __init__(self, db: Database, settings: Settings, clients: ProviderClients) -> None:
        self.db = db
        self.settings = settings
        self.clients = clients
        self.folder = settings.cache_dir / "candidates"
        self._allowed = allowed_cover_hosts(settings)  # type: ignore[arg-type]  # frozen Settings vs a settable Protocol

    def _cached(self, candidate: Candidate) -> Path:
        # Named by the candidate id (a UUID we made), never by anything the provider sent.
        return self.folder / f"{candidate.id}.img"

    async def image(self, candidate: Candidate) -> tuple[bytes, str]:
        """The candidate's cover bytes and type; UpstreamError when the provider's host fails."""
        url = candidate.data.get("coverUrl")
        if candidate.source == "file" or not isinstance(url, str) or not url:
            raise NotFound("This candidate has no cover")
        path = self._cached(candidate)
        data = await asyncio.to_thread(_read, path)
        if data is not None:
            kind = sniff_image_type(data)
            if kind:
                return data, kind
        client = self.clients.client(candidate.source)
        data, kind = await fetch_cover(client, url, self._allowed, max_bytes=MAX_BYTES)
        await asyncio.to_thread(_write, path, data)
        async with self.db.write() as conn:
            await candidate_rows.set_cover_path(conn, candidate.id, str(path.relative_to(self.settings.data_dir)))
        return data, kind


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(data)
    tmp.replace(path)
