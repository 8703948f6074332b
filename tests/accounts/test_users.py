"""Accounts: the contract of /api/users, the last admin, usernames in any script, password sign-in."""

from __future__ import annotations

import re
import unicodedata

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from bookshelf.folding import name_key as username_key
from tests.accounts.helpers import add_reader, setup_admin


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=20))
def test_username_key_is_nfc_and_case_blind(name: str) -> None:
    key = username_key(name)
    assert key == username_key(unicodedata.normalize("NFD", name))
    assert username_key(name.casefold()) == key == username_key(key)
    assert unicodedata.is_normalized("NFC", key)


async def test_users_crud_and_the_last_admin(client: httpx.AsyncClient) -> None:
    admin = await setup_admin(client)
    me = (await client.get("/api/me", headers=admin.bearer())).json()
    assert me == {"id": admin.id, "username": "admin", "role": "admin", "canUpload": True}
    reader = await add_reader(client, admin, "Ödön")
    # Unique case-insensitively after NFC: the decomposed, upper-case spelling is the same name.
    body = {"username": "O\u0308DO\u0308N", "password": "password 2", "role": "reader"}
    again = await client.post("/api/users", headers=admin.bearer(), json=body)
    assert again.status_code == 409
    cjk = await client.post("/api/users", headers=admin.bearer(),
                            json={"username": "吾輩は猫", "password": "password 3", "role": "reader"})  # fmt: skip
    assert cjk.status_code == 201 and cjk.json()["username"] == "吾輩は猫"
    too_long = await client.post("/api/users", headers=admin.bearer(),
                                 json={"username": "x" * 65, "password": "password 4", "role": "reader"})  # fmt: skip
    assert too_long.status_code == 400
    listed = (await client.get("/api/users", headers=admin.bearer())).json()["users"]
    assert [u["username"] for u in listed] == ["admin", "Ödön", "吾輩は猫"]
    assert (
        await client.patch(f"/api/users/{admin.id}", headers=admin.bearer(), json={"role": "reader"})
    ).status_code == 409
    promoted = await client.patch(f"/api/users/{reader.id}", headers=admin.bearer(), json={"role": "admin"})
    assert promoted.status_code == 200 and promoted.json()["role"] == "admin"
    # With two admins one may step down; the last one still cannot be deleted.
    assert (
        await client.patch(f"/api/users/{reader.id}", headers=admin.bearer(), json={"role": "reader"})
    ).status_code == 200
    assert (await client.delete(f"/api/users/{admin.id}", headers=admin.bearer())).status_code == 409
    assert (await client.delete(f"/api/users/{reader.id}", headers=admin.bearer())).status_code == 200
    # The deleted account's key stops working at once.
    assert (await client.get("/api/me", headers=reader.bearer())).status_code == 401


async def test_password_sign_in_and_its_failure_limit(client: httpx.AsyncClient) -> None:
    admin = await setup_admin(client)
    await add_reader(client, admin, "sam")

    async def sign_in(password: str) -> httpx.Response:
        page = await client.get("/signin")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf
        return await client.post("/signin", data={"csrf": csrf.group(1), "username": "Sam", "password": password})

    assert (await sign_in("reader password 1")).status_code == 303
    me = await client.get("/api/me", headers={"x-csrf-token": "unused"})  # the session cookie, a safe method
    assert me.json()["username"] == "sam" and me.json()["role"] == "reader"
    client.cookies.clear()
    statuses = [(await sign_in("wrong password")).status_code for _ in range(12)]
    assert statuses[0] == 401 and statuses[-1] == 429
