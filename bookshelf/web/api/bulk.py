"""/api/books/approve and /api/books/delete: review actions on many books, with a result per book."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.errors import InvalidInput
from bookshelf.services.metadata.bulk import RULES
from bookshelf.web.api import runtime
from bookshelf.web.http import ok, read_json
from bookshelf.web.routing import Endpoint
from bookshelf.web.schemas import obj, ref

MAX_BOOKS = 1000


def _book_ids(body: dict[str, Any]) -> list[str]:
    raw = body.get("bookIds")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_BOOKS:
        raise InvalidInput(f"bookIds must be a list of 1 to {MAX_BOOKS} book ids", details=[{"field": "bookIds"}])
    ids, problems = [], []
    for index, value in enumerate(raw):
        try:
            ids.append(str(uuid.UUID(value)))
        except (ValueError, TypeError, AttributeError):
            problems.append({"field": f"bookIds[{index}]", "message": "not a UUID"})
    if problems:
        raise InvalidInput("bookIds must be book ids", details=problems)
    return list(dict.fromkeys(ids))


def _known_keys(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise InvalidInput("Unknown keys", details=[{"field": k, "message": "unknown key"} for k in unknown])


async def approve(request: Request) -> Response:
    body = await read_json(request)
    _known_keys(body, {"bookIds", "rule"})
    rule = body.get("rule", "file_first")
    if rule not in RULES:
        raise InvalidInput(f"rule must be one of {', '.join(RULES)}", details=[{"field": "rule"}])
    return ok({"results": await runtime(request).bulk.approve(_book_ids(body), rule)})


async def delete(request: Request) -> Response:
    body = await read_json(request)
    _known_keys(body, {"bookIds", "keepFiles"})
    keep = body.get("keepFiles", False)
    if not isinstance(keep, bool):
        raise InvalidInput("keepFiles must be true or false", details=[{"field": "keepFiles"}])
    return ok({"results": await runtime(request).bulk.delete(_book_ids(body), keep)})


IDS = {"type": "array", "items": {"type": "string", "format": "uuid"}, "minItems": 1, "maxItems": MAX_BOOKS}


def _results(statuses: list[str]) -> dict[str, Any]:
    item = obj({"bookId": {"type": "string", "format": "uuid"}, "status": {"type": "string", "enum": statuses},
                "jobId": {"type": "string", "format": "uuid"}, "message": {"type": "string"}},
               ["bookId", "status"])  # fmt: skip
    return obj({"results": {"type": "array", "items": item}}, ["results"])


ENDPOINTS = [
    Endpoint(
        "POST", "/api/books/approve", approve, "Approve many books", "books",
        body=obj({"bookIds": IDS, "rule": {"type": "string", "enum": list(RULES), "default": "file_first"}},
                 ["bookIds"], extra=False),
        description="Approves each book in review: file_first keeps the file's values and fills the gaps from "
        "the best candidate; candidate_first takes the best candidate's values wherever it has one. Books not "
        "in review are skipped; each approved book's organize job is given. Books are approved one by one, "
        "so one failure does not stop the rest.",
        responses={200: _results(["approved", "skipped", "error"]), 400: ref("Error")},
    ),
    Endpoint(
        "POST", "/api/books/delete", delete, "Delete many books", "books",
        body=obj({"bookIds": IDS, "keepFiles": {"type": "boolean", "default": False}}, ["bookIds"], extra=False),
        description="As DELETE /api/books/{id} for each book: files go to the trash unless keepFiles; unknown "
        "books are skipped.",
        responses={200: _results(["deleted", "skipped", "error"]), 400: ref("Error")},
    ),
]  # fmt: skip
