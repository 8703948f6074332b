"""Run-time settings a user changes from the API or UI, validated and stored in the database."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bookshelf.db import Database
from bookshelf.db import preferences as rows
from bookshelf.errors import InvalidInput
from bookshelf.settings import Settings

TEMPLATE_FIELDS = ("author", "title", "series", "seriesIndex", "year", "isbn", "language")
SOURCES = ("hardcover", "google_books", "openlibrary")


def _local_zone() -> str:
    try:
        with open("/etc/timezone", encoding="utf-8") as handle:
            name = handle.read().strip()
        ZoneInfo(name)
        return name
    except (OSError, ZoneInfoNotFoundError, ValueError):
        return "UTC"


@dataclass(frozen=True)
class Field:
    default: Any
    check: Callable[[Any], str | None]  # returns an error message or None
    help: str


def _bool(v: Any) -> str | None:
    return None if isinstance(v, bool) else "must be true or false"


def _number(low: float, high: float) -> Callable[[Any], str | None]:
    def check(v: Any) -> str | None:
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and low <= v <= high
        return None if ok else f"must be a number from {low} to {high}"

    return check


def _integer(low: int, high: int) -> Callable[[Any], str | None]:
    def check(v: Any) -> str | None:
        ok = isinstance(v, int) and not isinstance(v, bool) and low <= v <= high
        return None if ok else f"must be a whole number from {low} to {high}"

    return check


def _template(v: Any) -> str | None:
    if not isinstance(v, str) or not 1 <= len(v) <= 200:
        return "must be a string of 1 to 200 characters"
    names = re.findall(r"\{([^{}]*)\}", v)
    unknown = [n for n in names if n not in TEMPLATE_FIELDS]
    if unknown:
        return f"unknown placeholder {{{unknown[0]}}}; use " + ", ".join("{" + f + "}" for f in TEMPLATE_FIELDS)
    if "{title}" not in v and "{isbn}" not in v:
        return "must contain {title} so books do not share a folder"
    if v.startswith("/") or ".." in v.split("/"):
        return "must be a relative path without '..'"
    return None


def _sources(v: Any) -> str | None:
    if not isinstance(v, list) or any(s not in SOURCES for s in v) or len(set(v)) != len(v):
        return "must be a list drawn from " + ", ".join(SOURCES) + " without repeats"
    return None


def _timezone(v: Any) -> str | None:
    if not isinstance(v, str) or v not in _zones():
        return "must be an IANA time zone name such as Europe/Berlin"
    return None


_ZONES: set[str] = set()


def _zones() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones() | {"UTC"})
    return _ZONES


def _object(fields: dict[str, Callable[[Any], str | None]]) -> Callable[[Any], str | None]:
    def check(v: Any) -> str | None:
        if not isinstance(v, dict):
            return "must be an object"
        unknown = set(v) - set(fields)
        if unknown:
            return f"unknown key {sorted(unknown)[0]!r}"
        for key, sub in v.items():
            problem = fields[key](sub)
            if problem:
                return f"{key} {problem}"
        return None

    return check


FIELDS: dict[str, Field] = {
    "organizeTemplate": Field(
        "{author}/{title}",
        _template,
        "Folder layout inside the library: " + ", ".join("{" + f + "}" for f in TEMPLATE_FIELDS),
    ),
    "metadataSources": Field(
        list(SOURCES), _sources, "Providers asked for metadata, in order; empty turns lookups off."
    ),
    "embedMetadata": Field(True, _bool, "Write approved metadata and cover into EPUB files when organizing."),
    "autoApprove": Field(False, _bool, "Approve a book automatically when its best candidate scores high enough."),
    "autoApproveMinScore": Field(0.9, _number(0, 1), "Lowest match score (0..1) auto-approval accepts."),
    "finishedThreshold": Field(0.98, _number(0.5, 1), "Progress (0..1) at which a book counts as finished."),
    "pausedAfterDays": Field(30, _integer(1, 3650), "Days without progress after which a book counts as paused."),
    "maxUploadMb": Field(100, _integer(1, 4096), "Largest file, in MB, an upload may carry."),
    "sendMaxMb": Field(50, _integer(1, 1000), "Largest file, in MB, sent to an e-reader by e-mail (Kindle takes 50)."),
    "hardcoverSync": Field(
        {"enabled": False, "intervalMinutes": 60},
        _object({"enabled": _bool, "intervalMinutes": _integer(5, 10080)}),
        "Push reading status to Hardcover periodically, every intervalMinutes.",
    ),
    "timezone": Field(None, _timezone, "Time zone for statistics (days, months, streaks)."),
    "trashDays": Field(30, _integer(1, 3650), "Days a deleted book stays in the trash before it is purged."),
    "metadataCacheHours": Field(24, _integer(0, 720), "Hours a provider answer is reused by automatic lookups."),
    "backup": Field(
        {"enabled": False, "keep": 7},
        _object({"enabled": _bool, "keep": _integer(1, 365)}),
        "Daily automatic database backup into DATA_DIR/backups, keeping the newest N.",
    ),
}


class PreferenceService:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._values: dict[str, Any] | None = None
        self.listeners: list[Callable[[dict[str, Any]], None]] = []

    def defaults(self) -> dict[str, Any]:
        values = {name: copy.deepcopy(f.default) for name, f in FIELDS.items()}
        values["timezone"] = _local_zone()
        return values

    async def load(self) -> dict[str, Any]:
        async with self.db.read() as conn:
            stored = await rows.load(conn)
        values = self.defaults()
        for key, value in stored.items():
            if key in FIELDS and FIELDS[key].check(value) is None:
                values[key] = value
        self._values = values
        return values

    async def values(self) -> dict[str, Any]:
        if self._values is None:
            return await self.load()
        return self._values

    def get(self, key: str) -> Any:
        """The current value, from memory (load() runs at start)."""
        values = self._values if self._values is not None else self.defaults()
        return values[key]

    async def public(self) -> dict[str, Any]:
        body = copy.deepcopy(await self.values())
        s = self.settings
        body.update(
            {
                "libraryPath": str(s.library_dir),
                "inboxPath": str(s.inbox_dir),
                "dataPath": str(s.data_dir),
                "startup": {
                    "host": s.host,
                    "port": s.port,
                    "workers": s.workers,
                    "watchPoll": s.watch_poll,
                    "trustedProxies": list(s.trusted_proxies),
                    "logFormat": s.log_format,
                    "logLevel": s.log_level,
                },
            }
        )
        return body

    async def patch(self, changes: Any) -> dict[str, Any]:
        if not isinstance(changes, dict):
            raise InvalidInput("Body must be a JSON object")
        problems = []
        current = await self.values()
        merged: dict[str, Any] = {}
        for key, value in changes.items():
            field = FIELDS.get(key)
            if field is None:
                problems.append({"field": key, "message": "unknown or read-only setting"})
                continue
            if isinstance(field.default, dict) and isinstance(value, dict):
                value = {**current[key], **value}
            problem = field.check(value)
            if problem:
                problems.append({"field": key, "message": problem})
            else:
                merged[key] = value
        if problems:
            raise InvalidInput("Invalid settings", details=problems)
        async with self.db.write() as conn:
            await rows.save(conn, merged)
        self._values = {**current, **merged}
        for listener in self.listeners:
            listener(merged)
        return await self.public()
