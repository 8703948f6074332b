"""What every fake shares: example files, a request log, fault switches and a controllable clock."""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "providers"


def example(name: str) -> Any:
    """A JSON example from tests/fixtures/providers (a fresh copy each call)."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def example_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


class FakeClock:
    """A clock tests move by hand; ``sleep`` advances it instead of waiting."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class RecordedRequest:
    """One request as the fake saw it: enough to assert headers, keys, variables and counts."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float
    raw_query: str = ""

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class Fault:
    """A canned answer that replaces the real one (or a delay before the real one)."""

    status: int = 200
    body: Any = None  # dict/list -> JSON, str -> text, None -> no body
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_type: str | None = None
    passthrough: bool = False  # only delay, then answer normally

    def response(self) -> Response:
        if isinstance(self.body, dict | list):
            content = json.dumps(self.body).encode()
            media = self.content_type or "application/json; charset=utf-8"
        elif isinstance(self.body, str):
            content = self.body.encode()
            media = self.content_type or "text/html; charset=utf-8"
        else:
            content = b""
            media = self.content_type or "text/plain"
        return Response(content, status_code=self.status, headers=self.headers, media_type=media)


class FakeBase:
    """Request log plus a queue of faults consumed one per request."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        self.clock = clock
        self.requests: list[RecordedRequest] = []
        self.faults: deque[Fault] = deque()
        self.delay = 0.0  # applies to every request: the "slow service" switch

    def now(self) -> float:
        return self.clock() if self.clock is not None else time.monotonic()

    def fail_next(self, fault: Fault, times: int = 1) -> None:
        self.faults.extend([fault] * times)

    async def record(self, request: Request) -> RecordedRequest:
        body = await request.body()
        query: dict[str, list[str]] = {}
        for key, value in request.query_params.multi_items():
            query.setdefault(key, []).append(value)
        entry = RecordedRequest(method=request.method, path=request.url.path, query=query,
                                headers={k.lower(): v for k, v in request.headers.items()},
                                body=body, at=self.now(), raw_query=request.url.query)
        self.requests.append(entry)
        return entry

    async def take_fault(self) -> Response | None:
        """The next queued fault's response (after its delay), or None to answer normally."""
        if self.delay:
            await asyncio.sleep(self.delay)
        if not self.faults:
            return None
        fault = self.faults.popleft()
        if fault.delay:
            await asyncio.sleep(fault.delay)
        return None if fault.passthrough else fault.response()

    def requests_within(self, window: float) -> int:
        """The largest number of logged requests inside any ``window`` seconds."""
        times = sorted(r.at for r in self.requests)
        best = 0
        start = 0
        for end, t in enumerate(times):
            while t - times[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best
