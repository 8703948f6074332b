"""Time in the one format the API speaks: ISO 8601 UTC with a Z."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None = None) -> str:
    return (moment or now()).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_iso() -> str:
    return iso()


def from_unix(seconds: float | int | None) -> str | None:
    if seconds is None:
        return None
    return iso(datetime.fromtimestamp(seconds, UTC))


def unix() -> int:
    return int(time.time())


def parse_iso(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
