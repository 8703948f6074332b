"""Every /api route: 401 without a key, one JSON error shape, a valid OpenAPI 3.1 document."""

from __future__ import annotations

import re

import httpx
import pytest

from bookshelf import __version__
from bookshelf.web.endpoints import all_endpoints

OPEN = {("GET", "/api/health"), ("POST", "/api/auth/setup"), ("GET", "/api/openapi.json"), ("GET", "/api/docs")}
SAMPLE_UUID = "00000000-0000-4000-8000-000000000000"


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: "opds" if m.group(0) == "{service}" else SAMPLE_UUID, path)


def assert_error_shape(response: httpx.Response) -> None:
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str)


async def test_every_protected_route_needs_a_key(client: httpx.AsyncClient) -> None:
    checked = 0
    for endpoint in all_endpoints():
        if not endpoint.path.startswith("/api") or (endpoint.method, endpoint.path) in OPEN:
            continue
        response = await client.request(endpoint.method, concrete(endpoint.path))
        assert response.status_code == 401, (endpoint.method, endpoint.path)
        assert_error_shape(response)
        checked += 1
    assert checked >= 5


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/api/nothing-here"),
        ("POST", "/api/health"),
        ("DELETE", "/api/settings"),
        ("GET", "/api/auth/keys/x/y"),
    ],
)
async def test_unknown_paths_and_methods_are_json(api: httpx.AsyncClient, method: str, path: str) -> None:
    response = await api.request(method, path)
    assert response.status_code in (404, 405)
    assert_error_shape(response)
    if response.status_code == 405:
        assert "allow" in response.headers


async def test_bad_bodies_are_json_400(api: httpx.AsyncClient) -> None:
    for content in (b"{", b"[]", b"42", b"\xff\xfe", b""):
        response = await api.post("/api/auth/keys", content=content, headers={"content-type": "application/json"})
        assert response.status_code == 400, content
        assert_error_shape(response)


async def test_health_minimal_and_detailed(client: httpx.AsyncClient, api_key: str) -> None:
    assert (await client.get("/api/health")).json() == {"status": "ok"}
    assert (await client.get("/api/health", headers={"X-API-Key": "bad"})).json() == {"status": "ok"}
    detailed = (await client.get("/api/health", headers={"X-API-Key": api_key})).json()
    assert detailed["version"] == __version__ and detailed["uptimeSeconds"] >= 0
    assert {"database", "library", "inbox", "disk"} <= set(detailed["checks"])


async def test_health_503_when_database_unusable(client: httpx.AsyncClient, runtime) -> None:
    await runtime.db.close()
    response = await client.get("/api/health")
    assert response.status_code == 503 and response.json() == {"status": "error"}
    await runtime.db.open()


async def test_openapi_document(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/openapi.json")).json()
    assert spec["openapi"] == "3.1.0" and spec["info"]["version"] == __version__
    declared = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    for endpoint in all_endpoints():
        if endpoint.in_spec:
            assert (endpoint.method, endpoint.path) in declared
    from openapi_spec_validator import validate

    validate(spec)


async def test_docs_page_is_self_contained(client: httpx.AsyncClient) -> None:
    page = await client.get("/api/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    for asset in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        assert asset.startswith("/"), f"docs page loads {asset} from another host"
        assert (await client.get(asset)).status_code == 200, asset


@pytest.mark.parametrize("path", ["/api/library", "/api/inbox", "/api/reading-status/unread"])
@pytest.mark.parametrize("page", ["1000001", "38523191916615198787208478720"])
async def test_a_page_beyond_any_library_is_400_not_500(api: httpx.AsyncClient, path: str, page: str) -> None:
    # Found by the schemathesis run: an offset past SQLite's 64-bit integers was a 500.
    response = await api.get(path, params={"page": page})
    assert response.status_code == 400, response.text
    assert_error_shape(response)
    assert (await api.get(path, params={"page": "1000000"})).json()["data"] == []
