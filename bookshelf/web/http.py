"""Request parsing and response helpers shared by every /api handler."""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bookshelf.errors import BookshelfError, Forbidden, InvalidInput, PayloadTooLarge, Unauthorized
from bookshelf.models import Account
from bookshelf.web.paging import whole_number

MAX_JSON_BYTES = 1_000_000


def account_of(request: Request) -> Account:
    """The account this request acts as (set by web.middleware.ApiAuth); 401 when there is none."""
    account: Account | None = request.scope.get("bookshelf.account")
    if account is None:
        raise Unauthorized("A valid API key is required")
    return account


def require_admin(request: Request) -> Account:
    account = account_of(request)
    if not account.is_admin:
        raise Forbidden("This needs an admin account")
    return account


class JSON(JSONResponse):
    """Compact UTF-8 JSON (the default escapes nothing it need not)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


def ok(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSON(content, status_code=status, headers=headers)


def error_body(code: str, message: str, details: list[Any] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return {"error": error}


def error_response(exc: BookshelfError) -> Response:
    headers = dict(exc.headers)
    if exc.status == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    return JSON(error_body(exc.code, exc.message, exc.details), status_code=exc.status, headers=headers)


async def read_json(request: Request, kind: type = dict, optional: bool = False) -> Any:
    """The request body as JSON of the given type; a clear 400 (or 413) otherwise."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_JSON_BYTES:
        raise PayloadTooLarge("JSON body is too large")
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_JSON_BYTES:
            raise PayloadTooLarge("JSON body is too large")
    if not raw.strip():
        if optional:
            return kind()
        raise InvalidInput("A JSON body is required")
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"Body is not valid JSON: {exc}") from None
    if not isinstance(value, kind):
        raise InvalidInput(f"Body must be a JSON {'object' if kind is dict else kind.__name__}")
    return value


def path_uuid(request: Request, name: str = "id") -> str:
    raw = request.path_params[name]
    try:
        return str(uuid.UUID(raw))
    except (ValueError, AttributeError, TypeError):
        raise InvalidInput(f"{name} must be a UUID", details=[{"field": name, "message": "not a UUID"}]) from None


def query_int(request: Request, name: str, default: int, low: int, high: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    return whole_number(name, raw, low, high)


def query_choice(request: Request, name: str, choices: tuple[str, ...], default: str | None) -> str | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if raw not in choices:
        raise InvalidInput(
            f"{name} must be one of {', '.join(choices)}",
            details=[{"field": name, "message": "one of " + ", ".join(choices)}],
        )
    return raw


def query_text(request: Request, name: str, max_len: int = 500) -> str | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if len(raw) > max_len:
        raise InvalidInput(f"{name} is longer than {max_len} characters")
    return raw


def paged(data: list[Any], page: int, limit: int, total: int) -> dict[str, Any]:
    return {
        "data": data,
        "page": page,
        "limit": limit,
        "total": total,
        "totalPages": (total + limit - 1) // limit if limit else 0,
    }
