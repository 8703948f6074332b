"""The authorization sweep, generated from the one route table: a reader key gets 403 on every admin
route and never on a reader route, and nothing a reader is sent holds another account's data."""

from __future__ import annotations

import re

import httpx
import pytest

from bookshelf.runtime import Runtime
from bookshelf.web.endpoints import all_endpoints
from tests.accounts.helpers import Member, add_reader, push, setup_admin
from tests.reading.helpers import add_book

UNKNOWN = "00000000-0000-4000-8000-000000000000"
# Planted in the admin's account: none may reach the reader.
MARKERS = ("MARKERDEVICE", "MARKERKEYLABEL", "marker-kosync-user", "marker-opds-user", "0.4242", "MARKERID")
DOC = "d" * 32


async def plant(client: httpx.AsyncClient, rt: Runtime, admin: Member) -> dict[str, str]:
    book = await add_book(rt, "Shared Book", hashes=[DOC])
    await push(client, admin, DOC, 0.4242, "MARKERDEVICE", "MARKERID" + "0" * 24)
    await push(client, admin, "e" * 32, 0.4242, "MARKERDEVICE", "MARKERID" + "0" * 24)  # an unmatched document
    await client.post("/api/auth/keys", headers=admin.bearer(), json={"label": "MARKERKEYLABEL"})
    await client.put(
        "/api/credentials/opds", headers=admin.bearer(), json={"username": "marker-opds-user", "password": "pw123456"}
    )
    await client.put("/api/credentials/kosync", headers=admin.bearer(),
                     json={"username": "marker-kosync-user", "password": "pw"})  # fmt: skip
    await client.put(f"/api/library/{book.id}/reading-status", headers=admin.bearer(), json={"status": "finished"})
    return {"id": book.id, "fileId": book.files[0].id, "document": DOC}


def concrete(path: str, values: dict[str, str], service: str) -> str:
    table = {**values, "service": service, "status": "finished", "n": "1"}
    return re.sub(r"\{([^}:]+)(:path)?\}", lambda m: table.get(m.group(1), UNKNOWN), path)


@pytest.fixture
async def two(client: httpx.AsyncClient, runtime: Runtime) -> tuple[Member, Member, dict[str, str]]:
    admin = await setup_admin(client)
    reader = await add_reader(client, admin, can_upload=True)
    values = await plant(client, runtime, admin)
    return admin, reader, values


async def test_every_api_route_for_a_reader(client: httpx.AsyncClient, two: tuple[Member, Member, dict]) -> None:
    admin, reader, values = two
    seen = 0
    for endpoint in all_endpoints():
        if not endpoint.path.startswith("/api") or not endpoint.auth:
            continue
        services = ("opds", "kosync", "hardcover") if "{service}" in endpoint.path else ("",)
        for service in services:
            url = concrete(endpoint.path, values, service)
            response = await client.request(endpoint.method, url, headers=reader.bearer(), json={})
            seen += 1
            what = f"{endpoint.method} {endpoint.path} -> {response.status_code} {response.text[:200]}"
            if endpoint.admin:
                assert response.status_code == 403, what
                assert response.json()["error"]["code"] == "forbidden", what
            else:
                assert response.status_code != 403 and response.status_code < 500, what
            for marker in MARKERS:
                assert marker not in response.text, f"{marker} leaked: {what}"
    assert seen > 60
    # The server-wide credential is an admin's.
    google = await client.get("/api/credentials/google_books", headers=reader.bearer())
    assert google.status_code == 403
    # And the admin still sees its own (the sweep ran against real, planted data).
    own = await client.get(f"/api/library/{values['id']}/progress", headers=admin.bearer())
    assert "MARKERDEVICE" in own.text and own.json()["readingStatus"] == "finished"


async def test_every_page_for_a_reader(client: httpx.AsyncClient, two: tuple[Member, Member, dict]) -> None:
    _admin, _reader, values = two
    page = await client.get("/signin")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    signed = await client.post(
        "/signin", data={"csrf": csrf.group(1), "username": "READER", "password": "reader password 1"}
    )
    assert signed.status_code == 303, signed.text
    for endpoint in all_endpoints():
        if endpoint.tag != "ui" or endpoint.method != "GET" or endpoint.path in ("/setup", "/signin"):
            continue
        response = await client.get(concrete(endpoint.path, values, "opds"))
        what = f"GET {endpoint.path} -> {response.status_code}"
        assert response.status_code == (403 if endpoint.admin else 200), what
        for marker in MARKERS:
            assert marker not in response.text, f"{marker} leaked: {what}"
    home = await client.get("/")
    assert 'href="/inbox"' not in home.text.split("</nav>")[0] and 'href="/jobs"' not in home.text


async def test_reader_devices_see_only_their_account(
    client: httpx.AsyncClient, two: tuple[Member, Member, dict]
) -> None:
    _admin, reader, values = two
    got = await client.get(f"/kosync/syncs/progress/{values['document']}", headers=reader.koreader())
    assert got.status_code == 200 and got.json() == {}
    # The admin's key is another account's object: 404, never a hint.
    keys = (await client.get("/api/auth/keys", headers=_admin.bearer())).json()["keys"]
    gone = await client.delete(f"/api/auth/keys/{keys[0]['id']}", headers=reader.bearer())
    assert gone.status_code == 404
    assert (await client.get(f"/api/auth/keys?userId={_admin.id}", headers=reader.bearer())).status_code == 403


async def test_upload_needs_can_upload(client: httpx.AsyncClient, runtime: Runtime) -> None:
    admin = await setup_admin(client)
    plain = await add_reader(client, admin, "plain", can_upload=False)
    files = {"file": ("a.epub", b"not really", "application/epub+zip")}
    refused = await client.post("/api/inbox/upload", headers=plain.bearer(), files=files)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    await client.patch(f"/api/users/{plain.id}", headers=admin.bearer(), json={"canUpload": True})
    allowed = await client.post("/api/inbox/upload", headers=plain.bearer(), files=files)
    assert allowed.status_code != 403
