"""Hardcover per account: each pushes its own reading with its own token, and reads its own log."""

from __future__ import annotations

import copy
import sqlite3

from bookshelf import clock
from bookshelf.db import reading as reading_rows
from bookshelf.db.reading import ReadingState
from bookshelf.runtime import Runtime
from bookshelf.services.hardcover.sync import HardcoverSyncService
from tests.fakes.hardcover import FakeHardcover, Token
from tests.hardcover.helpers import add_book, hardcover_id, isbn13, set_state

READER_TOKEN = "hc_pat_reader_token"


async def test_each_account_pushes_its_own_reading(
    runtime: Runtime, hc: HardcoverSyncService, admin: str, fake: FakeHardcover
) -> None:
    # A second Hardcover user on the fake, with its own token.
    other = copy.deepcopy(fake.store.users[fake.user_id])
    other["id"] = fake.user_id + 1
    other["username"] = "second_reader"
    other["user_books"] = fake.store._user_books_of(other["id"])
    fake.store.users[other["id"]] = other
    fake.tokens[READER_TOKEN] = Token(other["id"])
    reader = (await runtime.accounts.create({"username": "r", "password": "reader pw 1", "role": "reader"})).id
    await runtime.credentials.set(reader, "hardcover", {"token": READER_TOKEN})

    mine = await add_book(runtime, "Harbour Lights Volume 1", ["Author Number1"], isbn=isbn13(1))
    theirs = await add_book(runtime, "Harbour Lights Volume 2", ["Author Number2"], isbn=isbn13(2))
    await set_state(runtime, mine.id, 0.5, read_days_ago=1)  # the admin's

    def reader_reads(conn: sqlite3.Connection) -> None:
        at = clock.unix() - 3600
        state = ReadingState(theirs.id, percentage=0.3, last_read_at=at, started_at=at)
        reading_rows.save_state(conn, reader, state, clock.now_iso())

    await runtime.db.write(reader_reads)

    assert (await hc.sync_now(admin)).pushed == 1  # type: ignore[union-attr]
    assert (await hc.sync_now(reader)).pushed == 1  # type: ignore[union-attr]
    by_user = {(ub["user_id"], ub["book_id"]) for ub in fake.user_books.values()}
    assert by_user == {(fake.user_id, hardcover_id(1)), (other["id"], hardcover_id(2))}
    admin_log = {entry["bookId"] for entry in await hc.log_entries(admin, 100)}
    reader_log = {entry["bookId"] for entry in await hc.log_entries(reader, 100)}
    assert mine.id in admin_log and theirs.id not in admin_log
    assert theirs.id in reader_log and mine.id not in reader_log
    assert (await hc.status(reader))["username"] == "second_reader"
