"""Every promised route is routed, published in the spec, and answers (issue: contract conformance)."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import httpx
import pytest

from bookshelf.web.endpoints import all_endpoints
from bookshelf.web.openapi import build_spec
from tests.strict import shared_path

ROUTES_FILE = Path(__file__).with_name("routes.txt")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
STATIC_SEGMENTS = [
    ("GET", "/api/inbox/count"), ("GET", "/api/inbox/processing"), ("GET", "/api/library/facets"),
    ("GET", "/api/reading-status/counts"), ("GET", "/api/search/suggest?q=a"),
]  # fmt: skip


def committed_routes() -> list[tuple[str, str]]:
    pairs = []
    for line in ROUTES_FILE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            method, path, _source = line.split()
            pairs.append((method, path))
    return pairs


def seed_pairs(text: str) -> set[tuple[str, str]]:
    lines = [line.strip() for line in text.splitlines()]
    return {(a, b) for a, b in zip(lines, lines[1:], strict=False) if a in METHODS and b.startswith("/")}


def test_committed_list_covers_the_seed_reference() -> None:
    seed = shared_path("seed-api-reference.txt").read_text(encoding="utf-8")
    missing = seed_pairs(seed) - set(committed_routes())
    assert not missing, f"routes.txt has drifted from the seed reference: {sorted(missing)}"


def test_every_route_is_in_the_table_and_the_spec() -> None:
    declared = {(e.method, e.path) for e in all_endpoints()}
    spec_paths = {(e.method, e.path) for e in all_endpoints() if e.in_spec}
    for method, path in committed_routes():
        assert (method, path) in declared, f"{method} {path} is not routed"
        if path.startswith("/api"):
            assert (method, path) in spec_paths, f"{method} {path} is not in the OpenAPI document"


def concrete(path: str) -> str:
    values = {"service": "opds", "status": "reading", "document": "0" * 32, "n": "1"}
    return re.sub(r"\{([^}]+)\}", lambda m: values.get(m.group(1), UNKNOWN_ID), path)


@pytest.fixture
async def authorised(api: httpx.AsyncClient) -> httpx.AsyncClient:
    await api.put("/api/credentials/opds", json={"username": "reader", "password": "pw"})
    await api.put("/api/credentials/kosync", json={"username": "reader", "password": "pw"})
    return api


async def test_every_route_answers(authorised: httpx.AsyncClient) -> None:
    basic = "Basic " + base64.b64encode(b"reader:pw").decode()
    kosync = {"x-auth-user": "reader", "x-auth-key": hashlib.md5(b"pw").hexdigest(),
              "accept": "application/vnd.koreader.v1+json"}  # fmt: skip
    for method, path in committed_routes():
        headers: dict[str, str] = {}
        if path.startswith("/opds"):
            headers["Authorization"] = basic
        elif path.startswith("/kosync"):
            headers.update(kosync)
        url = concrete(path)
        body = None if method in ("GET", "DELETE") else {}
        response = await authorised.request(method, url, headers=headers, json=body)
        assert response.status_code != 405, f"{method} {path}: 405"
        if response.status_code == 404:
            # Only an unknown id may be 404, and it says what was not found, not "no such route".
            assert "{" in path, f"{method} {path}: 404 without an id in the path"
            assert "route" not in response.text.lower(), f"{method} {path}: {response.text}"


@pytest.mark.parametrize("method,url", STATIC_SEGMENTS)
async def test_static_segments_are_not_ids(api: httpx.AsyncClient, method: str, url: str) -> None:
    response = await api.request(method, url)
    assert response.status_code == 200, (url, response.text)


# /api operations in the spec that routes.txt does not list: added on purpose, named here so a new
# route is a conscious addition to both.
EXTRA_ROUTES = {
    ("GET", "/api/openapi.json"),  # API.md conventions: the spec itself
    ("GET", "/api/docs"),  # API.md conventions: the offline docs page
    ("GET", "/api/library/{id}/hardcover"),  # reads the link PUT/DELETE set (decisions: Hardcover)
    ("POST", "/api/import"),  # calibre library / folder import
    ("GET", "/api/import/{jobId}"),  # its progress
}


def test_routes_file_and_spec_agree_for_api() -> None:
    spec = build_spec(all_endpoints(), "test")
    published = {(m.upper(), path) for path, ops in spec["paths"].items() if path.startswith("/api") for m in ops}
    listed = {(m, p) for m, p in committed_routes() if p.startswith("/api")}
    unlisted = published - listed - EXTRA_ROUTES
    assert not unlisted, f"in the spec but neither in routes.txt nor EXTRA_ROUTES: {sorted(unlisted)}"
    unpublished = (listed | EXTRA_ROUTES) - published
    assert not unpublished, f"listed but not in the spec: {sorted(unpublished)}"
