"""Health: is the database usable, are the workers and folders alive, is there disk left."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bookshelf import __version__
from bookshelf.db import Database
from bookshelf.settings import Settings

LOW_DISK_BYTES = 200 * 1024 * 1024


def _folder(path: Path) -> dict[str, Any]:
    exists = path.is_dir()
    writable = exists and os.access(path, os.W_OK)
    return {"status": "ok" if writable else "error", "path": str(path), "exists": exists, "writable": writable}


class HealthService:
    """``components()`` names each long-running part (queue consumer, watcher) and whether it is alive;
    ``started`` is the time.monotonic() the server started at."""

    def __init__(
        self, db: Database, settings: Settings, components: Callable[[], dict[str, bool]], started: float
    ) -> None:
        self.db = db
        self.settings = settings
        self.components = components
        self.started = started

    async def check(self) -> tuple[str, dict[str, Any]]:
        """(overall status, detailed checks). 'error' means the database cannot be used."""
        checks: dict[str, Any] = {}
        db_ok = await self.db.ping()
        checks["database"] = {"status": "ok" if db_ok else "error"}
        for name, alive in self.components().items():
            checks[name] = {"status": "ok" if alive else "degraded", "running": alive}
        checks["library"] = _folder(self.settings.library_dir)
        checks["inbox"] = _folder(self.settings.inbox_dir)
        checks["data"] = _folder(self.settings.data_dir)
        try:
            free = shutil.disk_usage(self.settings.data_dir).free
            checks["disk"] = {"status": "ok" if free > LOW_DISK_BYTES else "degraded", "freeBytes": free}
        except OSError:
            checks["disk"] = {"status": "error", "freeBytes": None}
        if not db_ok:
            status = "error"
        elif any(c["status"] != "ok" for c in checks.values()):
            status = "degraded"
        else:
            status = "ok"
        return status, checks

    def detailed(self, status: str, checks: dict[str, Any]) -> dict[str, Any]:
        return {
            "status": status,
            "version": __version__,
            "uptimeSeconds": round(time.monotonic() - self.started, 1),
            "checks": checks,
        }
