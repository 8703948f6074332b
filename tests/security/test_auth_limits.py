"""Failed-auth limits: guessers get 429 + Retry-After on /api and /opds, correct clients keep working,
and /kosync (KOReader does not understand 429) stays unlimited but never runs two bcrypt checks at once."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import bcrypt
import httpx
import pytest

from bookshelf.runtime import Runtime
from bookshelf.settings import Settings
from tests.conftest import make_settings
from tests.opds.helpers import PASSWORD, USER
from tests.reading.helpers import koreader_headers, set_kosync_user


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, opds_username=USER, opds_password=PASSWORD)


async def test_api_guessers_are_limited_and_a_valid_key_is_not(client: httpx.AsyncClient, runtime: Runtime,
                                                               api_key: str) -> None:  # fmt: skip
    for n in range(runtime.auth_limiter.limit):
        wrong = await client.get("/api/library", headers={"Authorization": f"Bearer bks_wrong{n}"})
        assert wrong.status_code == 401
    limited = await client.get("/api/library", headers={"Authorization": "Bearer bks_another"})
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert (await client.get("/api/library", headers={"Authorization": f"Bearer {api_key}"})).status_code == 200
    assert (await client.get("/api/library")).status_code == 429  # still limited for everyone else here


async def test_opds_guessers_wait_while_a_signed_in_reader_keeps_reading(client: httpx.AsyncClient,
                                                                         runtime: Runtime) -> None:  # fmt: skip
    assert (await client.get("/opds", auth=(USER, PASSWORD))).status_code == 200  # the reader app, signed in
    for _ in range(runtime.auth_limiter.limit):
        assert (await client.get("/opds", auth=(USER, "guess"))).status_code == 401
    limited = await client.get("/opds", auth=(USER, "another guess"))
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert (await client.get("/opds", auth=(USER, PASSWORD))).status_code == 200
    assert (await client.get("/opds/all", auth=(USER, PASSWORD))).status_code == 200
    assert (await client.get("/opds", auth=("someone", PASSWORD))).status_code == 429


async def test_kosync_is_never_limited_and_checks_bcrypt_one_at_a_time(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    await set_kosync_user(runtime)
    running, most = 0, 0
    lock = threading.Lock()
    real_checkpw = bcrypt.checkpw

    def counting_checkpw(password: bytes, hashed: bytes) -> bool:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            return real_checkpw(password, hashed)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(bcrypt, "checkpw", counting_checkpw)
    wrong = [koreader_headers(password=f"guess {n}") for n in range(runtime.auth_limiter.limit + 5)]
    answers = await asyncio.gather(*(client.get("/kosync/users/auth", headers=h) for h in wrong))
    assert [a.status_code for a in answers] == [401] * len(wrong)
    assert all(a.json() == {"code": 2001, "message": "Unauthorized"} for a in answers)
    assert most == 1, "a flood of wrong keys must not run bcrypt on every core at once"
    assert (await client.get("/kosync/users/auth", headers=koreader_headers())).status_code == 200
