"""Health: is the database usable, are the workers and folders alive, is there disk left."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bookshelf import __version__

if TYPE_CHECKING:
    from bookshelf.runtime import Runtime

LOW_DISK_BYTES = 200 * 1024 * 1024


def _folder(path: Path) -> dict[str, Any]:
    exists = path.is_dir()
    writable = exists and os.access(path, os.W_OK)
    return {"status": "ok" if writable else "error", "path": str(path), "exists": exists, "writable": writable}


async def check(rt: Runtime) -> tuple[str, dict[str, Any]]:
    """(overall status, detailed checks). 'error' means the database cannot be used."""
    checks: dict[str, Any] = {}
    db_ok = await rt.db.ping()
    checks["database"] = {"status": "ok" if db_ok else "error"}
    for name, alive in rt.component_status().items():
        checks[name] = {"status": "ok" if alive else "degraded", "running": alive}
    checks["library"] = _folder(rt.settings.library_dir)
    checks["inbox"] = _folder(rt.settings.inbox_dir)
    checks["data"] = _folder(rt.settings.data_dir)
    try:
        free = shutil.disk_usage(rt.settings.data_dir).free
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


def detailed(status: str, checks: dict[str, Any], started: float) -> dict[str, Any]:
    return {
        "status": status,
        "version": __version__,
        "uptimeSeconds": round(time.monotonic() - started, 1),
        "checks": checks,
    }
