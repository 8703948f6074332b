"""What keeps /kosync cheap stays correct: the remembered-credential cache forgets at once, and a pull
reads the same few rows however large the library is."""

from __future__ import annotations

import hashlib

import httpx

from bookshelf.db import books as book_rows
from bookshelf.db import progress as progress_rows
from bookshelf.db.connection import connect_sync
from bookshelf.runtime import Runtime
from bookshelf.settings import Settings
from tests.accounts.helpers import READER_PASSWORD, Member, add_reader, pull, push, set_kosync, setup_admin
from tests.reading.helpers import add_book, md5
from tests.vm_steps import vm_steps

DOC = "59d481d168cca6267322f150c5f6a2a3"
KOBO = "AB" * 16


async def auth(client: httpx.AsyncClient, member: Member) -> int:
    return (await client.get("/kosync/users/auth", headers=member.koreader())).status_code


async def test_a_remembered_key_is_refused_as_soon_as_the_password_changes(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await setup_admin(client)
    reader = await add_reader(client, admin)
    assert runtime.credentials.remembered("kosync", reader.kosync_user, md5(reader.kosync_password)) is None
    await push(client, reader, DOC, 0.25, "Kobo", KOBO)
    # Remembered: the next request costs no bcrypt.
    assert runtime.credentials.remembered("kosync", reader.kosync_user, md5(reader.kosync_password)) == reader.id
    old = Member(reader.id, reader.key, reader.kosync_user, reader.kosync_password)
    reader.kosync_password = "a new kosync password"
    await set_kosync(client, reader)
    assert await auth(client, old) == 401
    put = await client.put(
        "/kosync/syncs/progress",
        headers={**old.koreader(), "content-type": "application/json"},
        content=b'{"document":"%s","progress":"1","percentage":0.9,"device":"Kobo"}' % DOC.encode(),
    )
    assert (put.status_code, put.json()) == (401, {"code": 2001, "message": "Unauthorized"})
    assert (await pull(client, reader, DOC))["percentage"] == 0.25
    assert await auth(client, reader) == 200


async def test_a_renamed_device_user_and_a_deleted_account_are_refused_at_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await setup_admin(client)
    reader = await add_reader(client, admin)
    other = await add_reader(client, admin, username="second")
    for member in (admin, reader, other):
        assert await auth(client, member) == 200
    renamed = Member(other.id, other.key, "second-phone", other.kosync_password)
    await set_kosync(client, renamed)
    assert await auth(client, other) == 401 and await auth(client, renamed) == 200
    assert (await client.delete(f"/api/users/{reader.id}", headers=admin.bearer())).status_code in (200, 204)
    assert await auth(client, reader) == 401
    assert runtime.credentials.remembered("kosync", reader.kosync_user, md5(reader.kosync_password)) is None
    # The others' devices keep working (and are checked again once, with bcrypt).
    assert await auth(client, admin) == 200 and await auth(client, renamed) == 200
    # A wrong key is never remembered, even right after the right one.
    wrong = Member(admin.id, admin.key, admin.kosync_user, READER_PASSWORD)
    assert await auth(client, wrong) == 401
    assert runtime.credentials.remembered("kosync", admin.kosync_user, md5(READER_PASSWORD)) is None


async def test_a_pull_reads_the_same_rows_in_a_small_and_a_large_library(
    client: httpx.AsyncClient, runtime: Runtime, settings: Settings
) -> None:
    admin = await setup_admin(client)
    book = await add_book(runtime, "Mine", hashes=[DOC, "1" * 32])
    await push(client, admin, DOC, 0.4, "Kobo", KOBO)

    def cost() -> tuple[int, int]:
        conn = connect_sync(settings.db_path)
        try:
            latest = vm_steps(conn, lambda c: progress_rows.latest_for_book_of(c, admin.id, DOC))
            documents = vm_steps(conn, lambda c: book_rows.documents_of_book_sync(c, admin.id, book.id))
        finally:
            conn.close()
        return latest, documents

    small = cost()
    for n in range(300):  # other books, each with a KOReader and a filename hash
        await add_book(runtime, f"Other {n}", hashes=[hashlib.md5(f"other {n}".encode()).hexdigest()])
    large = cost()
    assert large[0] <= small[0] + 20 and large[1] <= small[1] + 20, (small, large)
    got = await pull(client, admin, "1" * 32)  # still over both file versions of the book
    assert (got["document"], got["percentage"]) == ("1" * 32, 0.4)
