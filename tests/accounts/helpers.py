"""Two accounts on one server: an admin (the install's first) and a reader, each with keys and devices."""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx

from tests.reading.helpers import koreader_headers

READER_PASSWORD = "reader password 1"


@dataclass
class Member:
    id: str
    key: str
    kosync_user: str
    kosync_password: str

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def koreader(self) -> dict[str, str]:
        return koreader_headers(self.kosync_user, self.kosync_password)


async def setup_admin(client: httpx.AsyncClient, kosync_user: str = "admin-kobo") -> Member:
    key = (await client.post("/api/auth/setup", json={"label": "admin key"})).json()["key"]
    me = (await client.get("/api/me", headers={"Authorization": f"Bearer {key}"})).json()
    member = Member(me["id"], key, kosync_user, "admin kosync pw")
    await set_kosync(client, member)
    return member


async def add_reader(
    client: httpx.AsyncClient, admin: Member, username: str = "reader", can_upload: bool = False
) -> Member:
    created = await client.post(
        "/api/users",
        headers=admin.bearer(),
        json={"username": username, "password": READER_PASSWORD, "role": "reader", "canUpload": can_upload},
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    key = await client.post(f"/api/users/{user_id}/keys", headers=admin.bearer(), json={"label": f"{username} key"})
    assert key.status_code == 201, key.text
    member = Member(user_id, key.json()["key"], f"{username}-kobo", f"{username} kosync pw")
    await set_kosync(client, member)
    return member


async def set_kosync(client: httpx.AsyncClient, member: Member) -> None:
    response = await client.put(
        "/api/credentials/kosync",
        headers=member.bearer(),
        json={"username": member.kosync_user, "password": member.kosync_password},
    )
    assert response.status_code == 200, response.text


async def push(
    client: httpx.AsyncClient, member: Member, document: str, percentage: float, device: str, device_id: str
) -> httpx.Response:
    """A KOReader PUT as its Spore client sends it: compact JSON, lowercase headers, md5 key."""
    body = {"document": document, "progress": f"/body/p[{int(percentage * 100)}]", "percentage": percentage,
            "device": device, "device_id": device_id}  # fmt: skip
    headers = {**member.koreader(), "content-type": "application/json"}
    response = await client.put(
        "/kosync/syncs/progress", content=json.dumps(body, separators=(",", ":")), headers=headers
    )
    assert response.status_code == 200, response.text
    return response


async def pull(client: httpx.AsyncClient, member: Member, document: str) -> dict:
    response = await client.get(f"/kosync/syncs/progress/{document}", headers=member.koreader())
    assert response.status_code == 200, response.text
    return response.json()
