"""/api/settings: the run-time settings."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.web.api import runtime
from bookshelf.web.http import ok, read_json
from bookshelf.web.routing import Endpoint
from bookshelf.web.schemas import nullable, obj, ref

SETTINGS_PATCH = obj(
    {
        "organizeTemplate": {"type": "string", "minLength": 1, "maxLength": 200},
        "metadataSources": {
            "type": "array",
            "items": {"type": "string", "enum": ["hardcover", "google_books", "openlibrary"]},
        },
        "embedMetadata": {"type": "boolean"},
        "autoApprove": {"type": "boolean"},
        "autoApproveMinScore": {"type": "number", "minimum": 0, "maximum": 1},
        "finishedThreshold": {"type": "number", "minimum": 0.5, "maximum": 1},
        "pausedAfterDays": {"type": "integer", "minimum": 1, "maximum": 3650},
        "maxUploadMb": {"type": "integer", "minimum": 1, "maximum": 4096},
        "sendMaxMb": {"type": "integer", "minimum": 1, "maximum": 1000},
        "hardcoverSync": obj(
            {"enabled": {"type": "boolean"}, "intervalMinutes": {"type": "integer", "minimum": 5, "maximum": 10080}},
            extra=False,
        ),
        "timezone": {"type": "string"},
        "trashDays": {"type": "integer", "minimum": 1, "maximum": 3650},
        "metadataCacheHours": {"type": "integer", "minimum": 0, "maximum": 720},
        "backup": obj(
            {"enabled": {"type": "boolean"}, "keep": {"type": "integer", "minimum": 1, "maximum": 365}}, extra=False
        ),
    },
    extra=False,
)

SETTINGS = {
    **SETTINGS_PATCH,
    "additionalProperties": True,
    "properties": {
        **SETTINGS_PATCH["properties"],
        "libraryPath": {"type": "string"},
        "inboxPath": {"type": "string"},
        "dataPath": {"type": "string"},
        "timezone": nullable("string"),
        "startup": {"type": "object"},
    },
}


async def get_settings(request: Request) -> Response:
    return ok(await runtime(request).preferences.public())


async def patch_settings(request: Request) -> Response:
    body = await read_json(request)
    return ok(await runtime(request).preferences.patch(body))


ENDPOINTS = [
    Endpoint("GET", "/api/settings", get_settings, "Get settings", "settings", responses={200: SETTINGS}),
    Endpoint(
        "PATCH",
        "/api/settings",
        patch_settings,
        "Update settings",
        "settings",
        body=SETTINGS_PATCH,
        responses={200: SETTINGS, 400: ref("Error")},
    ),
]
