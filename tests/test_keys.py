"""API keys: setup, list, create, delete, and authentication."""

from __future__ import annotations

import asyncio
import sqlite3

import httpx

from bookshelf.settings import Settings


async def test_setup_once_then_conflict(client: httpx.AsyncClient) -> None:
    first = await client.post("/api/auth/setup", json={"label": "laptop"})
    assert first.status_code == 201
    body = first.json()
    assert set(body) == {"id", "key", "label", "createdAt"}
    assert body["label"] == "laptop" and len(body["key"]) >= 32
    second = await client.post("/api/auth/setup", json={})
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "conflict"


async def test_concurrent_setup_gives_exactly_one_key(client: httpx.AsyncClient) -> None:
    responses = await asyncio.gather(*(client.post("/api/auth/setup") for _ in range(20)))
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 1 and codes.count(409) == 19


async def test_bearer_and_header_both_authenticate(client: httpx.AsyncClient, api_key: str) -> None:
    assert (await client.get("/api/auth/keys")).status_code == 401
    assert (await client.get("/api/auth/keys", headers={"Authorization": f"Bearer {api_key}"})).status_code == 200
    assert (await client.get("/api/auth/keys", headers={"X-API-Key": api_key})).status_code == 200
    wrong = await client.get("/api/auth/keys", headers={"X-API-Key": api_key + "x"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"


async def test_list_never_shows_key_or_hash(api: httpx.AsyncClient, api_key: str, settings: Settings) -> None:
    body = (await api.get("/api/auth/keys")).json()
    assert len(body["keys"]) == 1
    assert set(body["keys"][0]) == {"id", "label", "createdAt", "lastUsedAt"}
    assert body["keys"][0]["lastUsedAt"] is not None  # kept in memory, no write per request
    assert api_key not in (await api.get("/api/auth/keys")).text
    raw = settings.db_path.read_bytes() + _wal(settings)
    assert api_key.encode() not in raw


def _wal(settings: Settings) -> bytes:
    wal = settings.db_path.with_name(settings.db_path.name + "-wal")
    return wal.read_bytes() if wal.exists() else b""


async def test_create_and_delete_rules(api: httpx.AsyncClient) -> None:
    me = (await api.get("/api/auth/keys")).json()["keys"][0]["id"]
    assert (await api.post("/api/auth/keys", json={"label": ""})).status_code == 400
    assert (await api.post("/api/auth/keys", json={"label": "x" * 101})).status_code == 400
    assert (await api.post("/api/auth/keys", json={})).status_code == 400
    created = await api.post("/api/auth/keys", json={"label": "phone"})
    assert created.status_code == 201
    other = created.json()
    # The calling key cannot delete itself.
    assert (await api.delete(f"/api/auth/keys/{me}")).status_code == 409
    # The new key works, and can delete the first one; then it is the last and cannot go.
    headers = {"Authorization": f"Bearer {other['key']}"}
    assert (await api.delete(f"/api/auth/keys/{me}", headers=headers)).json() == {"deleted": True, "id": me}
    assert (await api.get("/api/auth/keys")).status_code == 401  # the deleted key stops working
    assert (await api.delete(f"/api/auth/keys/{other['id']}", headers=headers)).status_code == 409
    assert (await api.delete("/api/auth/keys/not-a-uuid", headers=headers)).status_code == 400
    missing = "00000000-0000-4000-8000-000000000000"
    assert (await api.delete(f"/api/auth/keys/{missing}", headers=headers)).status_code == 404


async def test_failed_attempts_are_rate_limited_per_address(client: httpx.AsyncClient, api_key: str) -> None:
    codes = [(await client.get("/api/auth/keys", headers={"X-API-Key": "wrong"})).status_code for _ in range(12)]
    assert codes[:10] == [401] * 10
    limited = await client.get("/api/auth/keys", headers={"X-API-Key": "wrong"})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert limited.json()["error"]["code"] == "rate_limited"
    # The real key still works: only failures are limited.
    assert (await client.get("/api/auth/keys", headers={"X-API-Key": api_key})).status_code == 200


async def test_usage_flush_records_last_used(api: httpx.AsyncClient, runtime, settings: Settings) -> None:
    await api.get("/api/auth/keys")
    await runtime.keys.flush_usage()
    conn = sqlite3.connect(settings.db_path)
    (last_used,) = conn.execute("SELECT last_used_at FROM api_keys").fetchone()
    conn.close()
    assert last_used is not None
