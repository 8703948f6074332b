"""/api/devices: the signed-in reader's e-readers (name, address, format) for sending books."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.web.api import runtime
from bookshelf.web.http import account_of, ok, path_uuid, read_json
from bookshelf.web.routing import Endpoint, path_param
from bookshelf.web.schemas import TIMESTAMP, obj, ref

FORMAT = {"type": "string", "enum": ["epub", "pdf", "original"]}
DEVICE = obj(
    {
        "id": {"type": "string", "format": "uuid"},
        "name": {"type": "string"},
        "email": {"type": "string"},
        "format": FORMAT,
        "createdAt": TIMESTAMP,
        "updatedAt": TIMESTAMP,
    },
    ["id", "name", "email", "format", "createdAt", "updatedAt"],
)
FIELDS = {
    "name": {"type": "string", "minLength": 1, "maxLength": 100},
    "email": {"type": "string", "format": "email", "maxLength": 254},
    "format": {**FORMAT, "default": "epub"},
}


def owner_of(request: Request) -> str:
    """Whose devices this request sees: the calling account's, never another's (theirs are 404)."""
    return account_of(request).id


async def list_devices(request: Request) -> Response:
    devices = await runtime(request).devices.owned(owner_of(request))
    return ok({"devices": [d.to_json() for d in devices]})


async def create_device(request: Request) -> Response:
    body = await read_json(request)
    device = await runtime(request).devices.create(owner_of(request), body)
    return ok(device.to_json(), 201)


async def update_device(request: Request) -> Response:
    device_id = path_uuid(request)
    body = await read_json(request)
    device = await runtime(request).devices.update(owner_of(request), device_id, body)
    return ok(device.to_json())


async def delete_device(request: Request) -> Response:
    device_id = path_uuid(request)
    await runtime(request).devices.delete(owner_of(request), device_id)
    return ok({"deleted": True, "id": device_id})


ENDPOINTS = [
    Endpoint(
        "GET",
        "/api/devices",
        list_devices,
        "List your devices",
        "devices",
        description="The e-readers (or any addresses) books can be sent to, with the format each wants.",
        responses={200: obj({"devices": {"type": "array", "items": DEVICE}}, ["devices"])},
    ),
    Endpoint(
        "POST",
        "/api/devices",
        create_device,
        "Add a device",
        "devices",
        body=obj(FIELDS, ["name", "email"], extra=False),
        description="format: epub (default), pdf or original (the book's own file). Nothing is converted.",
        responses={201: DEVICE, 400: ref("Error"), 409: ref("Error")},
    ),
    Endpoint(
        "PATCH",
        "/api/devices/{id}",
        update_device,
        "Change a device",
        "devices",
        params=(path_param("id", "Device id"),),
        body=obj(FIELDS, extra=False),
        responses={200: DEVICE, 400: ref("Error"), 404: ref("Error")},
    ),
    Endpoint(
        "DELETE",
        "/api/devices/{id}",
        delete_device,
        "Remove a device",
        "devices",
        params=(path_param("id", "Device id"),),
        responses={200: ref("Deleted"), 400: ref("Error"), 404: ref("Error")},
    ),
]
