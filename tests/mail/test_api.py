"""The mail server settings, devices and send requests through the API: validation, secrets
never shown, environment overrides, and every refusal that comes before anything is sent."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bookshelf.errors import NotFound
from bookshelf.runtime import Runtime
from bookshelf.settings import Settings
from tests.conftest import make_settings
from tests.library_books import add_book
from tests.mail.conftest import add_device, set_server
from tests.mail.smtpd import PASSWORD, smtp_server


@pytest.fixture
def settings(tmp_path: Path, certificate: tuple[Path, Path]) -> Settings:
    return make_settings(tmp_path, smtp_ca_file=str(certificate[0]))  # the test server's certificate is trusted


SERVER = {"host": "smtp.example.org", "port": 587, "security": "starttls", "username": "me@example.org",
          "password": "hunter2-Secret", "from": "me@example.org"}  # fmt: skip


async def test_mail_server_settings_keep_the_password_sealed(api: httpx.AsyncClient, runtime: Runtime) -> None:
    assert (await api.get("/api/credentials/smtp")).json() == {"service": "smtp", "configured": False}
    answer = await api.put("/api/credentials/smtp", json=SERVER)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body == {**(await api.get("/api/credentials/smtp")).json()}
    assert body["host"] == "smtp.example.org" and body["passwordSet"] is True and body["source"] == "settings"
    assert "hunter2" not in answer.text
    row = await runtime.db.fetchone("SELECT password FROM smtp_settings")
    assert row is not None and b"hunter2" not in bytes(row[0])
    # Leaving the password out keeps the stored one.
    kept = {k: v for k, v in SERVER.items() if k != "password"}
    assert (await api.put("/api/credentials/smtp", json={**kept, "port": 2525})).status_code == 200
    server = await runtime.mail_server.server()
    assert server is not None and server.password == "hunter2-Secret" and server.port == 2525
    assert "hunter2" not in repr(server)
    assert (await api.delete("/api/credentials/smtp")).json() == {"deleted": True}
    assert (await api.delete("/api/credentials/smtp")).json() == {"deleted": False}


@pytest.mark.parametrize(
    "change",
    [{"security": "ssl"}, {"port": 0}, {"port": "587"}, {"host": "smtp example"}, {"from": "me"},
     {"from": "me@example.org\r\nBcc: x@evil.example"}, {"username": "me\r\nRCPT TO:<x@evil.example>"},
     {"extra": 1}],
)  # fmt: skip
async def test_bad_mail_server_settings_are_refused(api: httpx.AsyncClient, change: dict) -> None:
    answer = await api.put("/api/credentials/smtp", json={**SERVER, **change})
    assert answer.status_code == 400, answer.text
    assert (await api.get("/api/credentials/smtp")).json()["configured"] is False


async def test_environment_overrides_the_mail_server(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, smtp_host="mail.lan", smtp_security="none", smtp_from="shelf@lan.example",
                             smtp_password="from-env-pw")  # fmt: skip
    rt = await Runtime.open(settings, background=False)
    try:
        from bookshelf.web.app import create_app

        transport = httpx.ASGITransport(app=create_app(settings, rt), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as api:
            api.headers["Authorization"] = "Bearer " + (await api.post("/api/auth/setup", json={})).json()["key"]
            status = (await api.get("/api/credentials/smtp")).json()
            assert status["source"] == "environment" and status["port"] == 25 and status["host"] == "mail.lan"
            assert "from-env-pw" not in str(status)
            for call in (api.put("/api/credentials/smtp", json=SERVER), api.delete("/api/credentials/smtp")):
                answer = await call
                assert answer.status_code == 409 and answer.json()["error"]["details"] == [{"code": "env_override"}]
    finally:
        await rt.close()


async def test_test_message(api: httpx.AsyncClient, certificate: tuple[Path, Path]) -> None:
    answer = await api.post("/api/credentials/smtp/test", json={"to": "reader@example.org"})
    assert answer.status_code == 409  # no server yet
    assert (await api.post("/api/credentials/smtp/test", json={"to": "not an address"})).status_code == 400
    with smtp_server(*certificate) as (port, box):
        await set_server(api, port)
        answer = await api.post("/api/credentials/smtp/test", json={"to": "reader@example.org"})
        assert answer.json() == {"sent": True, "to": "reader@example.org"}
        assert box.messages[0].parsed()["Subject"] == "bookshelf test message"
        await set_server(api, port, password="wrong-one")
        answer = await api.post("/api/credentials/smtp/test", json={"to": "reader@example.org"})
    assert answer.status_code == 200
    assert answer.json() == {"sent": False, "to": "reader@example.org", "error": {
        "reason": "auth", "transient": False,
        "message": "The mail server refused the login: 535 5.7.8 Authentication credentials invalid"}}  # fmt: skip
    assert PASSWORD not in answer.text and "wrong-one" not in answer.text


async def test_devices(api: httpx.AsyncClient, runtime: Runtime) -> None:
    assert (await api.get("/api/devices")).json() == {"devices": []}
    created = await api.post("/api/devices", json={"name": " My  Kobo ", "email": "me@kobo.example"})
    assert created.status_code == 201
    device = created.json()
    assert device["name"] == "My Kobo" and device["format"] == "epub"
    patched = await api.patch(f"/api/devices/{device['id']}", json={"format": "original", "name": "Kobo"})
    assert patched.status_code == 200 and patched.json()["format"] == "original"
    assert [d["name"] for d in (await api.get("/api/devices")).json()["devices"]] == ["Kobo"]
    for bad in ({"name": "x", "email": "a@b.example, c@d.example"}, {"name": "x", "email": "a@b.example\n"},
                {"name": "", "email": "a@b.example"}, {"name": "x", "email": "a@b.example", "format": "mobi"},
                {"name": "x", "email": "a@b.example", "owner": "someone"}):  # fmt: skip
        assert (await api.post("/api/devices", json=bad)).status_code == 400, bad
    # Another owner's devices are not there: not listed, not found.
    assert await runtime.devices.owned("another-reader") == []
    with pytest.raises(NotFound):
        await runtime.devices.get("another-reader", device["id"])
    me = (await api.get("/api/me")).json()["id"]
    assert (await runtime.devices.get(me, device["id"])).email == "me@kobo.example"
    assert (await api.delete(f"/api/devices/{device['id']}")).status_code == 200
    assert (await api.delete(f"/api/devices/{device['id']}")).status_code == 404
    assert (await api.patch(f"/api/devices/{device['id']}", json={"name": "y"})).status_code == 404


async def refused(api: httpx.AsyncClient, book_id: str, device_id: str) -> dict:
    answer = await api.post(f"/api/library/{book_id}/send", json={"deviceId": device_id})
    assert answer.status_code == 409, answer.text
    return answer.json()["error"]


async def test_refusals_before_sending(api: httpx.AsyncClient, runtime: Runtime) -> None:
    kindle = await add_device(api, "me_1@kindle.com")
    mobi_only = await add_book(runtime, "Old Book", ["A. Writer"], formats=("mobi", "azw3"))
    error = await refused(api, mobi_only.id, kindle)
    assert error["details"] == [{"code": "smtp_not_configured"}]
    await api.put("/api/credentials/smtp", json=SERVER)
    error = await refused(api, mobi_only.id, kindle)
    assert (
        error["message"].startswith("Send to Kindle refuses MOBI and AZW3 files") and "AZW3, MOBI" in error["message"]
    )
    assert error["details"] == [{"code": "kindle_format"}]
    pdf_only = await add_book(runtime, "Scan", ["A. Writer"], formats=("pdf",))
    error = await refused(api, pdf_only.id, kindle)
    assert error["message"].startswith("This book has no EPUB file (it has PDF)")
    big = await add_book(runtime, "Big", ["A. Writer"], file_bytes=b"PK" + b"\0" * 1_200_000)
    assert (await api.patch("/api/settings", json={"sendMaxMb": 1})).status_code == 200
    error = await refused(api, big.id, kindle)
    assert error["details"] == [{"code": "too_large"}] and "1.2 MB, over the 1 MB limit" in error["message"]
    inbox = await add_book(runtime, "Waiting", ["A. Writer"], status="review")
    answer = await api.post(f"/api/library/{inbox.id}/send", json={"deviceId": kindle})
    assert answer.status_code == 404
    answer = await api.post(f"/api/library/{big.id}/send", json={"deviceId": "00000000-0000-4000-8000-000000000000"})
    assert answer.status_code == 404 and answer.json()["error"]["message"] == "Device not found"
    assert (await api.post(f"/api/library/{big.id}/send", json={})).status_code == 400
    assert (await runtime.db.fetchone("SELECT count(*) FROM jobs WHERE queue = 'send'"))[0] == 0


async def test_a_second_click_is_not_a_second_mail(api: httpx.AsyncClient, runtime: Runtime) -> None:
    await api.put("/api/credentials/smtp", json=SERVER)
    book = await add_book(runtime, "Twice", ["A. Writer"])
    first, second = await add_device(api), await add_device(api, "other@kobo.example", name="Kobo")
    a = (await api.post(f"/api/library/{book.id}/send", json={"deviceId": first})).json()
    b = (await api.post(f"/api/library/{book.id}/send", json={"deviceId": first})).json()
    c = (await api.post(f"/api/library/{book.id}/send", json={"deviceId": second})).json()
    assert a["jobId"] == b["jobId"] != c["jobId"] and a["state"] == "waiting"
    queues = (await api.get("/api/jobs/status")).json()["queues"]
    assert queues["send"]["waiting"] == 2
    sends = (await api.get(f"/api/library/{book.id}/sends")).json()["sends"]
    assert sorted(s["deviceName"] for s in sends) == ["Kindle", "Kobo"]


async def reader_client(api: httpx.AsyncClient, name: str = "robin") -> httpx.AsyncClient:
    """A second client on the same app, signed in as a new reader account."""
    user = await api.post("/api/users", json={"username": name, "password": "reader-pass-1", "role": "reader"})
    assert user.status_code == 201, user.text
    key = await api.post(f"/api/users/{user.json()['id']}/keys", json={"label": "phone"})
    assert key.status_code == 201, key.text
    return httpx.AsyncClient(transport=api._transport, base_url=str(api.base_url),
                             headers={"Authorization": f"Bearer {key.json()['key']}"})  # fmt: skip


async def test_a_reader_has_their_own_devices_and_no_mail_server(api: httpx.AsyncClient, runtime: Runtime) -> None:
    await api.put("/api/credentials/smtp", json=SERVER)
    book = await add_book(runtime, "Shared", ["A. Writer"])
    admins = await add_device(api, "admin@kindle.com")
    admin_send = (await api.post(f"/api/library/{book.id}/send", json={"deviceId": admins})).json()["jobId"]
    async with await reader_client(api) as reader:
        for call in (reader.get("/api/credentials/smtp"), reader.put("/api/credentials/smtp", json=SERVER),
                     reader.delete("/api/credentials/smtp"),
                     reader.post("/api/credentials/smtp/test", json={"to": "x@example.org"})):  # fmt: skip
            assert (await call).status_code == 403
        assert (await reader.get("/api/devices")).json() == {"devices": []}
        for call in (reader.patch(f"/api/devices/{admins}", json={"name": "mine now"}),
                     reader.delete(f"/api/devices/{admins}"),
                     reader.post(f"/api/library/{book.id}/send", json={"deviceId": admins}),
                     reader.post(f"/api/library/{book.id}/sends/{admin_send}/retry")):  # fmt: skip
            assert (await call).status_code == 404
        own = (await reader.post("/api/devices", json={"name": "Kobo", "email": "robin@kobo.example"})).json()["id"]
        sent = await reader.post(f"/api/library/{book.id}/send", json={"deviceId": own})
        assert sent.status_code == 202, sent.text
        mine = (await reader.get(f"/api/library/{book.id}/sends")).json()["sends"]
        assert [s["deviceName"] for s in mine] == ["Kobo"]
    theirs = (await api.get(f"/api/library/{book.id}/sends")).json()["sends"]
    assert [s["deviceName"] for s in theirs] == ["Kindle"]
    assert [d["name"] for d in (await api.get("/api/devices")).json()["devices"]] == ["Kindle"]
