"""Signing a test client in through the real UI forms."""

from __future__ import annotations

import re

import httpx

CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


async def setup_via_ui(client: httpx.AsyncClient, label: str = "me") -> str:
    """Run first-run setup in the browser flow; returns the raw key shown once."""
    page = await client.get("/setup")
    assert page.status_code == 200, page.text
    response = await client.post("/setup", data={"csrf": csrf_of(page.text), "label": label})
    assert response.status_code == 201, response.text
    key = re.search(r'id="new-key"[^>]*value="([^"]+)"', response.text)
    assert key
    return key.group(1)


async def sign_in(client: httpx.AsyncClient, key: str) -> httpx.Response:
    page = await client.get("/signin")
    return await client.post("/signin", data={"csrf": csrf_of(page.text), "key": key, "next": "/"})
