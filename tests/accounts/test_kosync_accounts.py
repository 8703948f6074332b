"""KOReader sync per account, "latest" in commit order, and a book's position over all its file versions."""

from __future__ import annotations

import httpx

from bookshelf.runtime import Runtime
from tests.accounts.helpers import add_reader, pull, push, setup_admin
from tests.reading.helpers import add_book

DOC = "59d481d168cca6267322f150c5f6a2a3"
KOBO, PHONE = "AB" * 16, "CD" * 16


async def test_two_accounts_on_one_document_keep_their_own_positions(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    book = await add_book(runtime, "Same Book", hashes=[DOC])
    admin = await setup_admin(client)
    reader = await add_reader(client, admin)
    await push(client, admin, DOC, 0.25, "Kobo", KOBO)
    await push(client, reader, DOC, 0.75, "Kobo", KOBO)  # the same device id, another account
    assert (await pull(client, admin, DOC))["percentage"] == 0.25
    assert (await pull(client, reader, DOC))["percentage"] == 0.75
    # The web API and the stats agree, account by account.
    for member, expected in ((admin, 0.25), (reader, 0.75)):
        progress = (await client.get(f"/api/library/{book.id}/progress", headers=member.bearer())).json()
        assert progress["progress"] == expected and [d["percentage"] for d in progress["devices"]] == [expected]
        counts = (await client.get("/api/reading-status/counts", headers=member.bearer())).json()
        assert counts["reading"] == 1
    await push(client, reader, DOC, 0.99, "Kobo", KOBO)  # the reader finishes; the admin did not
    admin_stats = (await client.get("/api/stats", headers=admin.bearer())).json()
    reader_stats = (await client.get("/api/stats", headers=reader.bearer())).json()
    assert admin_stats["booksFinished"]["total"] == 0 and reader_stats["booksFinished"]["total"] == 1
    # One account's KOReader user name cannot be another's.
    taken = await client.put(
        "/api/credentials/kosync", headers=reader.bearer(), json={"username": admin.kosync_user, "password": "x"}
    )
    assert taken.status_code == 409


async def test_latest_is_commit_order_within_one_second(client: httpx.AsyncClient, runtime: Runtime) -> None:
    admin = await setup_admin(client)
    runtime.reading.now = lambda: 1_760_000_000  # every write in the same clock second
    await push(client, admin, DOC, 0.32, "device A", KOBO)
    await push(client, admin, DOC, 0.22, "device B", PHONE)
    await push(client, admin, DOC, 0.50, "device A", KOBO)
    got = await pull(client, admin, DOC)
    assert (got["percentage"], got["device"]) == (0.5, "device A")


async def test_a_book_answers_over_all_its_file_versions(client: httpx.AsyncClient, runtime: Runtime) -> None:
    old, new, loose = "1" * 32, "2" * 32, "3" * 32
    await add_book(runtime, "Two Versions", hashes=[old, new])
    admin = await setup_admin(client)
    reader = await add_reader(client, admin)
    await push(client, admin, old, 0.30, "Kobo", KOBO)
    await push(client, admin, new, 0.60, "Phone", PHONE)  # the re-downloaded file, on another device
    await push(client, reader, new, 0.90, "Phone", PHONE)  # another account: never counted
    got = await pull(client, admin, old)
    assert (got["document"], got["percentage"], got["device"]) == (old, 0.6, "Phone")
    # A document of no known book keeps its own position only.
    await push(client, admin, loose, 0.10, "Kobo", KOBO)
    assert (await pull(client, admin, loose))["percentage"] == 0.1
    theirs = await pull(client, reader, old)
    assert (theirs["document"], theirs["percentage"]) == (old, 0.9)
