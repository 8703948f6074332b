"""Each reader's devices: a name, an address and the format it wants. Every method takes the
owner's id; a device of another owner is simply not found."""

from __future__ import annotations

import uuid
from typing import Any

from bookshelf import clock
from bookshelf.db import Database
from bookshelf.db import devices as rows
from bookshelf.db.devices import FORMATS, Device
from bookshelf.errors import Conflict, InvalidInput, NotFound
from bookshelf.services.mail.addresses import address

MAX_DEVICES = 50
FIELDS = {"name", "email", "format"}


class DeviceService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def owned(self, user_id: str) -> list[Device]:
        async with self.db.read() as conn:
            return await rows.list_for(conn, user_id)

    async def get(self, user_id: str, device_id: str) -> Device:
        async with self.db.read() as conn:
            device = await rows.get(conn, user_id, device_id)
        if device is None:
            raise NotFound("Device not found")
        return device

    async def create(self, user_id: str, payload: Any) -> Device:
        body = _body(payload)
        now = clock.now_iso()
        device = Device(str(uuid.uuid4()), user_id, _name(body), address(body, "email"),
                        _format(body.get("format", "epub")), now, now)  # fmt: skip
        async with self.db.write() as conn:
            if len(await rows.list_for(conn, user_id)) >= MAX_DEVICES:
                raise Conflict(f"At most {MAX_DEVICES} devices per reader")
            await rows.insert(conn, device)
        return device

    async def update(self, user_id: str, device_id: str, payload: Any) -> Device:
        body = _body(payload)
        async with self.db.write() as conn:
            device = await rows.get(conn, user_id, device_id)
            if device is None:
                raise NotFound("Device not found")
            if "name" in body:
                device.name = _name(body)
            if "email" in body:
                device.email = address(body, "email")
            if "format" in body:
                device.format = _format(body["format"])
            device.updated_at = clock.now_iso()
            await rows.update(conn, device)
        return device

    async def delete(self, user_id: str, device_id: str) -> None:
        async with self.db.write() as conn:
            if not await rows.delete(conn, user_id, device_id):
                raise NotFound("Device not found")


def _body(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise InvalidInput("Body must be a JSON object")
    unknown = sorted(set(payload) - FIELDS)
    if unknown:
        raise InvalidInput("Unknown fields", details=[{"field": n, "message": "unknown field"} for n in unknown])
    return payload


def _name(body: dict[str, Any]) -> str:
    value = body.get("name")
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= 100:
        raise InvalidInput("name must be 1 to 100 characters", details=[{"field": "name"}])
    return " ".join(value.split())


def _format(value: Any) -> str:
    if value not in FORMATS:
        raise InvalidInput("format must be epub, pdf or original", details=[{"field": "format"}])
    return str(value)
