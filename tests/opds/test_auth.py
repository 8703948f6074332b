"""Basic auth on every /opds URL: the challenge, wrong and missing credentials, limits, stored passwords."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import httpx
import pytest

from bookshelf.web.opds import ENDPOINTS
from tests.opds.helpers import PASSWORD, USER, add_book, app_client

CHALLENGE = re.compile(r'^Basic realm="bookshelf"')


async def concrete_paths(rt) -> list[str]:
    made = await add_book(rt, "Guarded", formats=("cbz",), cover=None)
    values = {"{id}": made.book.id, "{fileId}": made.book.files[0].id, "{n}": "0",
              "{authorId}": "1", "{genreId}": "1", "{seriesId}": "1"}  # fmt: skip
    paths = []
    for endpoint in ENDPOINTS:
        path = endpoint.path
        for placeholder, value in values.items():
            path = path.replace(placeholder, value)
        paths.append(path)
    return paths


def assert_challenge(response: httpx.Response) -> None:
    assert response.status_code == 401, response.request.url
    assert CHALLENGE.match(response.headers["www-authenticate"])
    assert response.headers["content-type"].startswith("text/plain")


async def test_every_route_needs_basic_credentials(client: httpx.AsyncClient, runtime) -> None:
    paths = await concrete_paths(runtime)
    assert len(paths) >= 15
    for path in paths:
        assert_challenge(await client.get(path))
        assert_challenge(await client.head(path))
        assert_challenge(await client.get(path, auth=(USER, "wrong")))
        assert_challenge(await client.get(path, headers={"Authorization": "Bearer something"}))
        runtime.auth_limiter.reset()
        ok = await client.get(path, auth=(USER, PASSWORD))
        assert ok.status_code in (200, 404), (path, ok.status_code)  # 404: the book has no cover
    assert_challenge(await client.get("/opds/books/unknown/whatever"))


async def test_malformed_authorization_headers_are_401(client: httpx.AsyncClient, runtime) -> None:
    good = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    for header in ("Basic", "Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode(), "Digest x", good):
        assert_challenge(await client.get("/opds", headers={"Authorization": header}))
        runtime.auth_limiter.reset()
    assert (await client.get("/opds", headers={"Authorization": "basic " + good})).status_code == 200


async def test_failures_are_limited_per_address(client: httpx.AsyncClient, runtime) -> None:
    for _ in range(runtime.auth_limiter.limit):
        assert_challenge(await client.get("/opds", auth=(USER, "guess")))
    limited = await client.get("/opds", auth=(USER, "guess"))
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    # Asking without credentials (a client's first try) never counts as a failure.
    runtime.auth_limiter.reset()
    for _ in range(runtime.auth_limiter.limit + 2):
        assert_challenge(await client.get("/opds"))
    assert (await client.get("/opds", auth=(USER, PASSWORD))).status_code == 200


@pytest.mark.parametrize("configured", [False, True])
async def test_stored_credential_and_none_at_all(tmp_path: Path, configured: bool) -> None:
    async with app_client(tmp_path) as (rt, http):
        assert_challenge(await http.get("/opds"))
        assert_challenge(await http.get("/opds", auth=("", "")))
        if not configured:
            return
        key = (await http.post("/api/auth/setup", json={"label": "t"})).json()["key"]
        body = {"username": "kindle", "password": "ümlaut pass"}
        saved = await http.put("/api/credentials/opds", json=body, headers={"X-API-Key": key})
        assert saved.status_code == 200
        assert (await http.get("/opds", auth=("kindle", "ümlaut pass"))).status_code == 200
        assert_challenge(await http.get("/opds", auth=("kindle", "ümlaut")))
        assert_challenge(await http.get("/opds", auth=("other", "ümlaut pass")))
        # A changed password takes effect at once, even though successes are remembered.
        body["password"] = "new one"
        await http.put("/api/credentials/opds", json=body, headers={"X-API-Key": key})
        rt.auth_limiter.reset()
        assert_challenge(await http.get("/opds", auth=("kindle", "ümlaut pass")))
        assert (await http.get("/opds", auth=("kindle", "new one"))).status_code == 200
