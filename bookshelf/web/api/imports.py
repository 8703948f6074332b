"""/api/import: import a calibre library or a folder tree from a server folder, as a job."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.errors import InvalidInput
from bookshelf.web.api import runtime
from bookshelf.web.http import ok, read_json
from bookshelf.web.routing import Endpoint, path_param
from bookshelf.web.schemas import TIMESTAMP, nullable, obj, ref


async def start(request: Request) -> Response:
    job_id = await runtime(request).importer.start(await read_json(request))
    return ok({"jobId": job_id}, 202)


async def status(request: Request) -> Response:
    job_id = request.path_params["jobId"]
    if not 1 <= len(job_id) <= 100:
        raise InvalidInput("jobId must be a job id", details=[{"field": "jobId"}])
    return ok(await runtime(request).importer.status(job_id))


_STR = {"type": "string"}
_ITEMS = {
    "type": "array",
    "items": obj({"source": _STR, "name": _STR, "bookId": _STR, "reason": _STR}, ["source", "name"]),
}
_NOTES = {
    "type": "array",
    "items": obj({"kind": _STR, "source": _STR, "name": _STR, "bookId": _STR, "reason": _STR}, ["kind", "source"]),
}
BODY = obj(
    {
        "path": {"type": "string", "description": "Absolute server path inside one of BOOKSHELF_IMPORT_ROOTS."},
        "mode": {"type": "string", "enum": ["calibre", "folder"]},
        "inPlace": {"type": "boolean", "default": False, "description": "folder only: register files where they are"},
        "review": {"type": "boolean", "default": False, "description": "calibre only: send books to the inbox"},
    },
    ["path", "mode"],
    extra=False,
)
STATUS = obj(
    {
        "jobId": _STR, "state": {"type": "string", "enum": ["waiting", "active", "completed", "failed", "delayed",
        "paused"]}, "error": nullable("string"), "progress": {"type": "number", "minimum": 0, "maximum": 1},
        "mode": {"type": "string", "enum": ["calibre", "folder"]}, "path": _STR, "inPlace": {"type": "boolean"},
        "review": {"type": "boolean"}, "total": nullable("integer"), "done": {"type": "integer"},
        "imported": {"type": "integer"}, "duplicates": _ITEMS, "failed": _ITEMS, "skipped": _ITEMS, "notes": _NOTES,
        "createdAt": TIMESTAMP, "updatedAt": TIMESTAMP,
    },
    ["jobId", "state", "progress", "mode", "path", "total", "done", "imported", "duplicates", "failed", "skipped",
     "notes"],
)  # fmt: skip

ENDPOINTS = [
    Endpoint(
        "POST", "/api/import", start, "Import a calibre library or a folder tree", "import", body=BODY,
        description="Starts an import job reading from a server folder inside BOOKSHELF_IMPORT_ROOTS (symlinks "
        "are resolved first). calibre libraries are copied with their metadata taken as approved (or sent to "
        "review); folder trees are copied into the inbox, or registered in place. The originals are never "
        "written to. One import runs at a time.",
        responses={202: obj({"jobId": _STR}, ["jobId"]), 400: ref("Error"), 409: ref("Error")},
    ),
    Endpoint(
        "GET", "/api/import/{jobId}", status, "Import progress", "import",
        params=(path_param("jobId", "The jobId POST /api/import returned", fmt=None),),
        description="Progress and counts of an import: books imported, duplicates skipped (with the book that "
        "already holds them), failures with their reasons.",
        responses={200: STATUS, 400: ref("Error"), 404: ref("Error")},
    ),
]  # fmt: skip
