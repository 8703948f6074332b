"""/kosync as KOReader and the official server speak it (KOSYNC.md), through the real app."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from bookshelf.runtime import Runtime
from bookshelf.settings import Settings
from bookshelf.web.app import create_app
from tests.conftest import make_settings
from tests.reading.helpers import KOREADER_ACCEPT, PASSWORD, USER, koreader_headers, md5, set_kosync_user

DOC = "41cce710f34e5ec21315e19c99821415"
DEVICE_ID = "0123456789ABCDEF0123456789ABCDEF"
UNAUTHORIZED = b'{"code":2001,"message":"Unauthorized"}'


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # The environment credential skips bcrypt, keeping these many tests fast; the stored
    # (bcrypt) credential is exercised by the tests that open their own runtime.
    return make_settings(tmp_path, kosync_username=USER, kosync_password=PASSWORD)


@pytest.fixture
def kosync(client: httpx.AsyncClient) -> httpx.AsyncClient:
    return client


@asynccontextmanager
async def own_app(tmp_path: Path, **overrides: object) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    settings = make_settings(tmp_path / "own", **overrides)
    rt = await Runtime.open(settings, background=False)
    try:
        transport = httpx.ASGITransport(app=create_app(settings, rt))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield rt, http
    finally:
        await rt.close()


def body_of(document: str = DOC, **fields: object) -> dict[str, object]:
    body: dict[str, object] = {
        "document": document,
        "progress": "/body/DocFragment[12]/body/p[3]/text().0",
        "percentage": 0.3561,
        "device": "Kobo Libra 2",
        "device_id": DEVICE_ID,
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not ...}


async def put(client: httpx.AsyncClient, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    # KOReader sends compact JSON with content-type and content-length, nothing else added.
    raw = json.dumps(body, separators=(",", ":")).encode()
    all_headers = {**(koreader_headers() if headers is None else headers), "content-type": "application/json"}
    return await client.put("/kosync/syncs/progress", content=raw, headers=all_headers)


def assert_json(response: httpx.Response) -> None:
    assert response.headers["content-type"].split(";")[0] == "application/json", response.headers


async def test_healthcheck_needs_no_auth(client: httpx.AsyncClient) -> None:
    response = await client.get("/kosync/healthcheck", headers={"accept": KOREADER_ACCEPT})
    assert response.status_code == 200 and response.content == b'{"state":"OK"}'
    assert_json(response)


@pytest.mark.parametrize(
    "body", [b"", b'{"username":"reader","password":"5ebe2294ecd0e0f08eab7690d2a6ee69"}', b'{"username":"new"}']
)
async def test_registration_is_always_refused(kosync: httpx.AsyncClient, body: bytes) -> None:
    response = await kosync.post(
        "/kosync/users/create",
        content=body,
        headers={"accept": KOREADER_ACCEPT, "content-type": "application/json"},
    )
    assert response.status_code == 402
    assert response.content == b'{"code":2005,"message":"User registration is disabled."}'
    assert_json(response)


async def test_auth_get_and_post(kosync: httpx.AsyncClient) -> None:
    for method in ("GET", "POST"):
        response = await kosync.request(method, "/kosync/users/auth", headers=koreader_headers())
        assert response.status_code == 200 and response.content == b'{"authorized":"OK"}'
        assert_json(response)
    # POST ignores its body, even one that is not JSON.
    response = await kosync.post("/kosync/users/auth", content=b"{not json", headers=koreader_headers())
    assert response.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"x-auth-user": "reader", "x-auth-key": md5("wrong")},
        {"x-auth-user": "someone", "x-auth-key": md5("correct horse")},
        {"x-auth-user": "reader", "x-auth-key": md5("correct horse").upper()},
        {"x-auth-user": "reader", "x-auth-key": "correct horse"},
        {"x-auth-user": "reader"},
        {"x-auth-key": md5("correct horse")},
        {"x-auth-user": "", "x-auth-key": md5("correct horse")},
        {},
    ],
)
async def test_auth_failures_are_2001(kosync: httpx.AsyncClient, headers: dict[str, str]) -> None:
    for method, path in (("GET", "/kosync/users/auth"), ("GET", f"/kosync/syncs/progress/{DOC}")):
        response = await kosync.request(method, path, headers={"accept": KOREADER_ACCEPT, **headers})
        assert response.status_code == 401 and response.content == UNAUTHORIZED
        assert_json(response)
    response = await put(kosync, body_of(), headers={"accept": KOREADER_ACCEPT, **headers})
    assert response.status_code == 401 and response.content == UNAUTHORIZED


async def test_stored_credential_and_none_configured(tmp_path: Path) -> None:
    async with own_app(tmp_path) as (rt, http):
        response = await http.get("/kosync/users/auth", headers=koreader_headers())
        assert response.status_code == 401 and response.content == UNAUTHORIZED
        await set_kosync_user(rt)
        assert (await http.get("/kosync/users/auth", headers=koreader_headers())).status_code == 200
        bad = await http.get("/kosync/users/auth", headers=koreader_headers(password="nope"))
        assert bad.status_code == 401
        await rt.credentials.delete(await rt.accounts.first_admin_id(), "kosync")
        assert (await http.get("/kosync/users/auth", headers=koreader_headers())).status_code == 401


async def test_basic_authorization_header_does_not_interfere(kosync: httpx.AsyncClient) -> None:
    headers = {**koreader_headers(), "authorization": "Basic cmVhZGVyOnNlY3JldA=="}
    assert (await kosync.get("/kosync/users/auth", headers=headers)).status_code == 200


async def test_put_then_get_round_trip(kosync: httpx.AsyncClient) -> None:
    before = int(time.time())
    response = await put(kosync, body_of(metadata={"filename": "x.epub", "title": "X", "authors": "Y"}))
    assert response.status_code == 200
    assert_json(response)
    answer = response.json()
    assert set(answer) == {"document", "timestamp"} and answer["document"] == DOC
    assert isinstance(answer["timestamp"], int) and before <= answer["timestamp"] <= int(time.time())

    response = await kosync.get(f"/kosync/syncs/progress/{DOC}", headers=koreader_headers())
    assert response.status_code == 200
    assert response.json() == {
        "document": DOC,
        "percentage": 0.3561,
        "progress": "/body/DocFragment[12]/body/p[3]/text().0",
        "device": "Kobo Libra 2",
        "device_id": DEVICE_ID,
        "timestamp": answer["timestamp"],
    }


@pytest.mark.parametrize("percentage", [0, 1])
async def test_whole_percentages_are_json_integers(kosync: httpx.AsyncClient, percentage: int) -> None:
    assert (await put(kosync, body_of(percentage=percentage))).status_code == 200
    response = await kosync.get(f"/kosync/syncs/progress/{DOC}", headers=koreader_headers())
    assert f'"percentage":{percentage},' in response.text
    assert response.json()["percentage"] == percentage


async def test_unknown_document_is_empty_object(kosync: httpx.AsyncClient) -> None:
    response = await kosync.get("/kosync/syncs/progress/" + "0" * 32, headers=koreader_headers())
    assert response.status_code == 200 and response.content == b"{}"
    assert_json(response)


async def test_latest_write_wins_across_devices_even_when_behind(kosync: httpx.AsyncClient, runtime: Runtime) -> None:
    assert (await put(kosync, body_of(percentage=0.32, device="kindle", device_id="A" * 32))).status_code == 200
    assert (await put(kosync, body_of(percentage=0.22, device="phone", device_id="B" * 32))).status_code == 200
    got = (await kosync.get(f"/kosync/syncs/progress/{DOC}", headers=koreader_headers())).json()
    assert got["percentage"] == 0.22 and got["device"] == "phone" and got["device_id"] == "B" * 32
    # The same device writing again replaces its own row; every write stays in the history.
    assert (await put(kosync, body_of(percentage=0.4, device="kindle", device_id="A" * 32))).status_code == 200
    positions = await runtime.db.fetchall("SELECT device_id, percentage FROM progress ORDER BY device_id")
    assert [tuple(row) for row in positions] == [("A" * 32, 0.4), ("B" * 32, 0.22)]
    assert (await runtime.db.fetchone("SELECT count(*) FROM reading_history"))[0] == 3


async def test_missing_device_id_is_keyed_by_device_and_left_out(kosync: httpx.AsyncClient) -> None:
    assert (await put(kosync, body_of(device_id=...))).status_code == 200
    got = (await kosync.get(f"/kosync/syncs/progress/{DOC}", headers=koreader_headers())).json()
    assert "device_id" not in got and got["device"] == "Kobo Libra 2"
    assert (await put(kosync, body_of(percentage=0.5))).status_code == 200
    assert (await kosync.get(f"/kosync/syncs/progress/{DOC}", headers=koreader_headers())).json()[
        "device_id"
    ] == DEVICE_ID


async def test_non_ascii_user_and_password_as_raw_utf8(tmp_path: Path) -> None:
    async with own_app(tmp_path) as (rt, http):
        await set_kosync_user(rt, "lécteur", "pässwört")
        headers = [
            (b"accept", KOREADER_ACCEPT.encode()),
            (b"x-auth-user", "lécteur".encode()),
            (b"x-auth-key", md5("pässwört").encode()),
        ]
        response = await http.get("/kosync/users/auth", headers=headers)
        assert response.status_code == 200, response.text
        wrong = [headers[0], (b"x-auth-user", "lécteur".encode("latin-1")), headers[2]]
        assert (await http.get("/kosync/users/auth", headers=wrong)).status_code == 401


async def test_non_ascii_environment_credential(tmp_path: Path) -> None:
    async with own_app(tmp_path, kosync_username="Zoë", kosync_password="ünïcode") as (_, http):
        raw = [(b"x-auth-user", "Zoë".encode()), (b"x-auth-key", md5("ünïcode").encode())]
        assert (await http.get("/kosync/users/auth", headers=raw)).status_code == 200
        raw[1] = (b"x-auth-key", md5("unicode").encode())
        assert (await http.get("/kosync/users/auth", headers=raw)).status_code == 401


# -- validation, in the official order ---------------------------------------------------------
@pytest.mark.parametrize(
    "raw,expected",
    [
        (b"{not json", b'{"code":103,"message":"Could not parse JSON in body."}'),
        (b"\xff\xfe", b'{"code":103,"message":"Could not parse JSON in body."}'),
        (b"[1,2]", b'{"code":104,"message":"Body should be a JSON hash."}'),
        (b'"text"', b'{"code":104,"message":"Body should be a JSON hash."}'),
    ],
)
async def test_unparsable_body_is_400_before_auth(kosync: httpx.AsyncClient, raw: bytes, expected: bytes) -> None:
    for headers in (koreader_headers(), {"accept": KOREADER_ACCEPT}):
        response = await kosync.put(
            "/kosync/syncs/progress", content=raw, headers={**headers, "content-type": "application/json"}
        )
        assert response.status_code == 400 and response.content == expected


async def test_auth_is_checked_before_fields(kosync: httpx.AsyncClient) -> None:
    response = await put(kosync, {"percentage": "abc"}, headers={"accept": KOREADER_ACCEPT})
    assert response.status_code == 401 and response.content == UNAUTHORIZED


@pytest.mark.parametrize("document", [..., "", None, 42, "abc:def", ["x"]])
async def test_bad_document_is_2004(kosync: httpx.AsyncClient, document: object) -> None:
    # The document is judged before the other fields, which are also wrong here.
    response = await put(kosync, body_of(document=document, percentage="abc"))
    assert response.status_code == 403
    assert response.content == b'{"code":2004,"message":"Field \'document\' not provided."}'
    assert_json(response)


@pytest.mark.parametrize(
    "fields",
    [
        {"percentage": ...},
        {"percentage": "abc"},
        {"percentage": True},
        {"percentage": None},
        {"percentage": {"x": 1}},
        {"percentage": "nan"},
        {"progress": ...},
        {"device": ...},
        {"progress": None},
    ],
)
async def test_bad_fields_are_2003(kosync: httpx.AsyncClient, fields: dict[str, object]) -> None:
    response = await put(kosync, body_of(**fields))
    assert response.status_code == 403 and response.content == b'{"code":2003,"message":"Invalid request"}'


@pytest.mark.parametrize(
    "fields", [{"percentage": "0.5"}, {"percentage": 0}, {"progress": ""}, {"device": ""}, {"progress": 56}]
)
async def test_lua_truthy_fields_are_valid(kosync: httpx.AsyncClient, fields: dict[str, object]) -> None:
    assert (await put(kosync, body_of(**fields))).status_code == 200


async def test_long_document_ids(kosync: httpx.AsyncClient) -> None:
    document = "a" * 1024
    assert (await put(kosync, body_of(document=document))).status_code == 200
    got = await kosync.get(f"/kosync/syncs/progress/{document}", headers=koreader_headers())
    assert got.json()["document"] == document


async def test_oversized_body_is_json_413(kosync: httpx.AsyncClient) -> None:
    response = await put(kosync, body_of(metadata={"title": "x" * 70_000}))
    assert response.status_code == 413
    assert_json(response)
    assert set(response.json()) == {"code", "message"}


# -- routing: JSON everywhere, never a redirect ----------------------------------------------
@pytest.mark.parametrize(
    "method,path,status",
    [
        ("GET", "/kosync/nothing", 404),
        ("GET", "/kosync", 404),
        ("GET", "/kosync/", 404),
        ("GET", "/kosync/syncs/progress", 405),
        ("DELETE", "/kosync/healthcheck", 405),
        ("GET", "/kosync/users/create", 405),
        ("PATCH", "/kosync/syncs/progress", 405),
    ],
)
async def test_unknown_paths_and_methods_are_json(
    kosync: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await kosync.request(method, path, headers=koreader_headers())
    assert response.status_code == status
    assert_json(response)
    assert set(response.json()) == {"code", "message"} and response.json()["code"] == status


@pytest.mark.parametrize("path", ["/kosync/users/auth/", "/kosync//users/auth", "/kosync/users//auth/"])
async def test_slashes_never_redirect(kosync: httpx.AsyncClient, path: str) -> None:
    response = await kosync.get(path, headers=koreader_headers())
    assert response.status_code == 200 and response.json() == {"authorized": "OK"}


async def test_kosync_endpoints_are_in_the_spec(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/openapi.json")).json()
    for path in ("/kosync/healthcheck", "/kosync/users/auth", "/kosync/syncs/progress",
                 "/kosync/syncs/progress/{document}", "/kosync/users/create"):  # fmt: skip
        assert path in spec["paths"]
        for operation in spec["paths"][path].values():
            assert operation["tags"] == ["kosync"]
    assert "401" in spec["paths"]["/kosync/syncs/progress"]["put"]["responses"]


@pytest.fixture
async def raising_client(settings: Settings, runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(settings, runtime), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def test_a_failure_inside_is_json_502(raising_client: httpx.AsyncClient, runtime: Runtime) -> None:
    await runtime.db.close()  # every query now fails inside the handler
    try:
        response = await raising_client.get(f"/kosync/syncs/progress/{DOC}", headers=koreader_headers())
    finally:
        await runtime.db.open()
    assert response.status_code == 502
    assert response.content == b'{"code":2000,"message":"Unknown server error."}'


async def test_concurrent_writes_are_all_committed(kosync: httpx.AsyncClient, runtime: Runtime) -> None:
    # Concurrent PUTs are committed together; each still gets its own answer after its commit.
    bodies = [body_of(document=f"{n:032x}", percentage=n / 100, device_id=f"{n % 7:032X}") for n in range(60)]
    responses = await asyncio.gather(*(put(kosync, body) for body in bodies))
    assert [r.status_code for r in responses] == [200] * 60
    assert (await runtime.db.fetchone("SELECT count(*) FROM reading_history"))[0] == 60
    assert (await runtime.db.fetchone("SELECT sum(updates) FROM reading_activity"))[0] == 60
    got = await kosync.get(f"/kosync/syncs/progress/{59:032x}", headers=koreader_headers())
    assert got.json()["percentage"] == 0.59 and got.json()["device_id"] == f"{59 % 7:032X}"
