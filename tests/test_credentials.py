"""Credentials: stored safely, never shown, environment overrides."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx

from bookshelf.runtime import Runtime
from bookshelf.settings import Settings
from tests.conftest import make_settings


def _all_bytes(settings: Settings) -> bytes:
    data = b""
    for name in ("bookshelf.db", "bookshelf.db-wal"):
        path = settings.data_dir / name
        if path.exists():
            data += path.read_bytes()
    return data


async def test_unconfigured_and_unknown(api: httpx.AsyncClient) -> None:
    for service in ("opds", "kosync", "hardcover", "google_books"):
        assert (await api.get(f"/api/credentials/{service}")).json() == {"service": service, "configured": False}
        assert (await api.delete(f"/api/credentials/{service}")).status_code == 404
    assert (await api.get("/api/credentials/dropbox")).status_code == 404
    assert (await api.put("/api/credentials/dropbox", json={"token": "x"})).status_code == 404


async def test_secrets_never_in_responses_or_database(
    api: httpx.AsyncClient, settings: Settings, runtime: Runtime
) -> None:
    password, token, key = "s3cret-Pässword", "hc-token-ABCDEF123456", "AIzaSyFAKEKEY123456"
    r = await api.put("/api/credentials/opds", json={"username": "reader", "password": password})
    assert r.status_code == 200 and r.json()["configured"] and r.json()["username"] == "reader"
    assert (await api.put("/api/credentials/kosync", json={"username": "kö", "password": password})).status_code == 200
    assert (await api.put("/api/credentials/hardcover", json={"token": "Bearer " + token})).status_code == 200
    assert (await api.put("/api/credentials/google_books", json={"apiKey": key})).status_code == 200
    texts = [(await api.get(f"/api/credentials/{s}")).text for s in ("opds", "kosync", "hardcover", "google_books")]
    for secret in (password, token, key, hashlib.md5(password.encode()).hexdigest()):
        assert all(secret not in text for text in texts)
        assert secret.encode() not in _all_bytes(settings)
    # The sealed values open again for provider calls; the pasted "Bearer " is stripped.
    assert await runtime.credentials.secret("hardcover", await runtime.accounts.first_admin_id()) == token
    assert await runtime.credentials.secret("google_books") == key
    assert await runtime.credentials.verify_password("opds", "reader", password)
    assert not await runtime.credentials.verify_password("opds", "reader", "wrong")
    md5 = hashlib.md5(password.encode()).hexdigest()
    assert await runtime.credentials.verify_password("kosync", "kö", md5)
    assert not await runtime.credentials.verify_password("kosync", "kö", password)


async def test_validation(api: httpx.AsyncClient) -> None:
    assert (await api.put("/api/credentials/opds", json={"username": "a"})).status_code == 400
    assert (await api.put("/api/credentials/opds", json={"username": "a", "password": "x" * 73})).status_code == 400
    assert (await api.put("/api/credentials/opds", json=["a"])).status_code == 400
    assert (await api.put("/api/credentials/hardcover", json={"token": 5})).status_code == 400
    assert (await api.put("/api/credentials/hardcover", json={"token": "a", "extra": 1})).status_code == 400


async def test_success_cache_is_cleared_on_change(api: httpx.AsyncClient, runtime: Runtime) -> None:
    await api.put("/api/credentials/opds", json={"username": "reader", "password": "one"})
    assert await runtime.credentials.verify_password("opds", "reader", "one")
    await api.put("/api/credentials/opds", json={"username": "reader", "password": "two"})
    assert not await runtime.credentials.verify_password("opds", "reader", "one")
    assert (await api.delete("/api/credentials/opds")).json() == {"deleted": True}
    assert not await runtime.credentials.verify_password("opds", "reader", "two")


async def test_environment_overrides(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, opds_username="env", opds_password="pw", hardcover_token="tok")
    rt = await Runtime.open(settings, background=False)
    try:
        status = await rt.credentials.status(await rt.accounts.first_admin_id(), "opds")
        assert status["configured"] and status["source"] == "environment" and status["username"] == "env"
        assert await rt.credentials.verify_password("opds", "env", "pw")
        assert await rt.credentials.secret("hardcover", await rt.accounts.first_admin_id()) == "tok"
        from bookshelf.errors import Conflict

        try:
            await rt.credentials.set(await rt.accounts.first_admin_id(), "opds", {"username": "a", "password": "b"})
        except Conflict as exc:
            assert exc.details == [{"code": "env_override"}]
        else:
            raise AssertionError("PUT over an environment credential must be refused")
    finally:
        await rt.close()


async def test_secret_key_file_is_private(runtime: Runtime, settings: Settings) -> None:
    assert settings.secret_key_path.stat().st_mode & 0o777 == 0o600
