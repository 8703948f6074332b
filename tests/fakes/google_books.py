"""A fake Google Books API v1 (PROVIDERS.md §4.3): volume search and single volumes, quotas."""

from __future__ import annotations

import copy
import re
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.common import FakeBase, FakeClock, Fault, example

_CT = "application/json; charset=UTF-8"
_TOKEN = re.compile(r'(\w+):"([^"]*)"|(\w+):(\S+)|"([^"]*)"|(\S+)')
ANONYMOUS_POOL_MESSAGE = ("Quota exceeded for quota metric 'Queries' and limit 'Queries per day' "
                          "of service 'books.googleapis.com' for consumer "
                          "'project_number:624717413613'.")


def _error(name: str, **changes: Any) -> dict[str, Any]:
    body = example(name)
    body["error"].update(changes)
    if "message" in changes:
        for item in body["error"].get("errors", []):
            item["message"] = changes["message"]
    return body


def volume(id: str, title: str, authors: list[str] | None = None, *, isbn13: str | None = None,
           isbn10: str | None = None, subtitle: str | None = None, publisher: str | None = None,
           published: str | None = None, description: str | None = None,
           pages: int | None = None, categories: list[str] | None = None,
           language: str | None = "en", thumbnail: str | None = None) -> dict[str, Any]:
    """A volume in the API's shape; fields left as None are left out, as real volumes do."""
    info: dict[str, Any] = {"title": title}
    optional = {"subtitle": subtitle, "authors": authors, "publisher": publisher,
                "publishedDate": published, "description": description, "pageCount": pages,
                "categories": categories, "language": language}
    info.update({k: v for k, v in optional.items() if v is not None})
    identifiers = [{"type": t, "identifier": v} for t, v in (("ISBN_13", isbn13),
                                                               ("ISBN_10", isbn10)) if v]
    if identifiers:
        info["industryIdentifiers"] = identifiers
    if thumbnail:
        info["imageLinks"] = {"smallThumbnail": thumbnail, "thumbnail": thumbnail}
    return {"kind": "books#volume", "id": id, "etag": "fake",
            "selfLink": f"https://www.googleapis.com/books/v1/volumes/{id}", "volumeInfo": info}


class FakeGoogleBooks(FakeBase):
    """Catalogue of volumes, key checking, day and minute quotas, and fault switches."""

    def __init__(self, volumes: list[dict[str, Any]] | None = None, *,
                 details: dict[str, dict[str, Any]] | None = None, key_mode: str = "optional",
                 valid_keys: set[str] | None = None, daily_limit: int | None = None,
                 per_minute_limit: int | None = None, legacy_daily: bool = False,
                 clock: FakeClock | None = None) -> None:
        super().__init__(clock)
        if volumes is None:
            volumes = example("google_books_search.json")["items"]
            details = details or {"p1MULH7JsTQC": example("google_books_volume.json")}
        self.volumes = volumes
        self.details = details or {}
        self.key_mode = key_mode  # "optional" | "required" | "disabled-api"
        self.valid_keys = valid_keys if valid_keys is not None else {"good-key"}
        self.daily_limit = daily_limit
        self.per_minute_limit = per_minute_limit
        self.legacy_daily = legacy_daily
        self.served = 0
        self.app = Starlette(routes=[
            Route("/books/v1/volumes", self.search),
            Route("/books/v1/volumes/{volume_id}", self.get_volume),
        ])

    @classmethod
    def from_books(cls, books: list[dict[str, Any]], **kwargs: Any) -> FakeGoogleBooks:
        """Build from small dicts: ``{"id", "title", "authors", "isbn13", ...}`` (see volume())."""
        return cls([volume(**b) for b in books], **kwargs)

    # Fault presets, one per error example.
    def fail_bad_key(self, times: int = 1) -> None:
        self.fail_next(Fault(400, example("google_books_error_400_bad_key.json")), times)

    def fail_api_disabled(self, times: int = 1) -> None:
        self.fail_next(Fault(403, example("google_books_error_403_api_disabled.json")), times)

    def fail_daily_legacy(self, times: int = 1) -> None:
        self.fail_next(Fault(403, example("google_books_error_403_daily_limit_legacy.json")),
                       times)

    def fail_quota(self, per: str = "day", retry_after: float | None = None,
                   times: int = 1) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self.fail_next(Fault(429, self._quota_body(per), headers), times)

    def fail_unavailable(self, times: int = 1) -> None:
        self.fail_next(Fault(503, example("google_books_error_503.json")), times)

    def fail_slow(self, seconds: float, times: int = 1) -> None:
        self.fail_next(Fault(delay=seconds, passthrough=True), times)

    @staticmethod
    def _quota_body(per: str) -> dict[str, Any]:
        if per == "day":
            return example("google_books_error_429_quota.json")
        message = ("Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of "
                   "service 'books.googleapis.com' for consumer 'project_number:123456789012'.")
        body = _error("google_books_error_429_quota.json", message=message)
        body["error"]["details"][0]["metadata"]["quota_limit"] = "defaultPerMinutePerProject"
        return body

    async def _gate(self, request: Request) -> Response | None:
        entry = await self.record(request)
        fault = await self.take_fault()
        if fault is not None:
            return fault
        key = entry.param("key")
        if self.key_mode == "disabled-api":
            return _json(403, example("google_books_error_403_api_disabled.json"))
        if key is None and self.key_mode == "required":
            return _json(429, _error("google_books_error_429_quota.json",
                                     message=ANONYMOUS_POOL_MESSAGE))
        if key is not None and key not in self.valid_keys:
            return _json(400, example("google_books_error_400_bad_key.json"))
        if self.daily_limit is not None and self.served >= self.daily_limit:
            if self.legacy_daily:
                return _json(403, example("google_books_error_403_daily_limit_legacy.json"))
            return _json(429, self._quota_body("day"))
        if self.per_minute_limit is not None:
            recent = [r for r in self.requests[:-1] if entry.at - r.at < 60]
            if len(recent) >= self.per_minute_limit:
                return _json(429, self._quota_body("minute"))
        self.served += 1
        return None

    async def search(self, request: Request) -> Response:
        refused = await self._gate(request)
        if refused is not None:
            return refused
        q = request.query_params.get("q", "")
        if not q.strip():
            return _json(400, example("google_books_error_400_missing_query.json"))
        raw_max = request.query_params.get("maxResults", "10")
        if not raw_max.isdigit() or not 0 <= int(raw_max) <= 40:
            message = f"Invalid value '{raw_max}'. Values must be within the range: [0, 40]"
            return _json(400, _error("google_books_error_400_max_results.json", message=message))
        start = int(request.query_params.get("startIndex", "0") or 0)
        matches = [v for v in self.volumes if _matches(v, q)]
        page = matches[start:start + int(raw_max)]
        body: dict[str, Any] = {"kind": "books#volumes", "totalItems": len(matches)}
        if page:  # with no items, the key is left out altogether
            body["items"] = copy.deepcopy(page)
        return _json(200, body)

    async def get_volume(self, request: Request) -> Response:
        refused = await self._gate(request)
        if refused is not None:
            return refused
        volume_id = request.path_params["volume_id"]
        found = self.details.get(volume_id) or next(
            (v for v in self.volumes if v.get("id") == volume_id), None)
        if found is None:
            return _json(404, example("google_books_error_404_volume.json"))
        return _json(200, copy.deepcopy(found))


def _json(status: int, body: Any) -> Response:
    return JSONResponse(body, status_code=status, media_type=_CT)


def _matches(volume: dict[str, Any], q: str) -> bool:
    info = volume.get("volumeInfo") or {}
    title = " ".join(filter(None, [info.get("title"), info.get("subtitle")])).casefold()
    authors = " ".join(info.get("authors") or []).casefold()
    isbns = {i["identifier"].replace("-", "") for i in info.get("industryIdentifiers") or []}
    haystack = " ".join([title, authors, (info.get("description") or "").casefold()])
    for m in _TOKEN.finditer(q):
        op = (m.group(1) or m.group(3) or "").lower()
        value = (m.group(2) if m.group(1) else m.group(4) if m.group(3) else
                 m.group(5) or m.group(6) or "").casefold()
        if op == "isbn":
            if value.replace("-", "").upper() not in {i.upper() for i in isbns}:
                return False
        elif op == "intitle":
            if not all(word in title for word in value.split()):
                return False
        elif op == "inauthor":
            if not all(word in authors for word in value.split()):
                return False
        elif op == "inpublisher":
            if value not in (info.get("publisher") or "").casefold():
                return False
        elif op == "subject":
            if not any(value in c.casefold() for c in info.get("categories") or []):
                return False
        elif op:
            return False  # lccn/oclc: the fake's catalogue carries none
        elif value not in haystack:
            return False
    return True
