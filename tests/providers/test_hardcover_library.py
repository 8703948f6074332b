"""Hardcover library operations against the stateful fake: the sync paths of PROVIDERS.md §4.5."""

from __future__ import annotations

from datetime import date

import pytest

from bookshelf.errors import UpstreamError
from bookshelf.providers.hardcover_client import CallRecord, HardcoverClient
from bookshelf.providers.hardcover_models import CURRENTLY_READING, READ, WANT_TO_READ
from tests.fakes.common import Fault, example
from tests.fakes.hardcover import GOOD_TOKEN
from tests.providers.conftest import HARDCOVER_URL

pytestmark = pytest.mark.anyio
DUNE, DUNE_EDITION = 312460, 30405276


async def test_new_book_insert_then_first_read(fake_hardcover, hardcover_api):
    assert await hardcover_api.user_book(DUNE) is None
    entry = await hardcover_api.insert_user_book(DUNE, status_id=CURRENTLY_READING,
                                                 edition_id=DUNE_EDITION, privacy_setting_id=1)
    read = await hardcover_api.insert_user_book_read(entry.id, started_at=date(2026, 9, 14),
                                                     progress_pages=0, edition_id=DUNE_EDITION)
    assert read is not None and read.user_book_id == entry.id
    shown = fake_hardcover.user_books[entry.id]
    assert (shown["book_id"], shown["status_id"], shown["edition_id"]) == (DUNE, 2, DUNE_EDITION)
    assert fake_hardcover.user_book_reads[read.id]["started_at"] == "2026-09-14"
    sent = fake_hardcover.requests[-1].json
    assert sent["variables"] == {"userBookId": entry.id, "read": {
        "started_at": "2026-09-14", "progress_pages": 0, "edition_id": DUNE_EDITION}}


async def test_status_change_progress_and_finish(fake_hardcover, hardcover_api):
    entry = await hardcover_api.insert_user_book(DUNE, status_id=WANT_TO_READ,
                                                 edition_id=DUNE_EDITION)
    updated = await hardcover_api.update_user_book(entry.id, {"status_id": CURRENTLY_READING})
    assert updated.status_id == CURRENTLY_READING
    read = await hardcover_api.insert_user_book_read(entry.id, started_at="2026-09-14",
                                                     progress_pages=0, edition_id=DUNE_EDITION)
    progressed = await hardcover_api.update_user_book_read(
        read.id, started_at="2026-09-14", progress_pages=126, edition_id=DUNE_EDITION)
    assert progressed is not None and progressed.progress == pytest.approx(23.46, abs=0.01)
    finished = await hardcover_api.update_user_book_read(
        read.id, started_at="2026-09-14", finished_at="2026-10-02", progress_pages=537,
        edition_id=DUNE_EDITION)
    assert finished is not None and finished.progress == 100
    done = await hardcover_api.update_user_book(entry.id, {"status_id": READ})
    assert done.status_id == READ
    looked_up = await hardcover_api.user_book(DUNE)
    assert looked_up is not None and looked_up.current_read is None
    assert looked_up.reads[0].finished_at == "2026-10-02"


async def test_re_read_gets_a_new_read_and_the_finished_one_stays(fake_hardcover,
                                                                  hardcover_api):
    entry = await hardcover_api.insert_user_book(DUNE, status_id=READ)
    old = await hardcover_api.insert_user_book_read(entry.id, started_at="2025-01-01",
                                                    finished_at="2025-02-01")
    new = await hardcover_api.insert_user_book_read(entry.id, started_at="2026-09-14")
    looked_up = await hardcover_api.user_book(DUNE)
    assert [r.id for r in looked_up.reads] == [new.id, old.id]  # newest first
    assert looked_up.current_read is not None and looked_up.current_read.id == new.id
    assert fake_hardcover.user_book_reads[old.id]["finished_at"] == "2025-02-01"


async def test_duplicate_insert_upserts(fake_hardcover, hardcover_api):
    first = await hardcover_api.insert_user_book(DUNE, status_id=WANT_TO_READ)
    again = await hardcover_api.insert_user_book(DUNE, status_id=CURRENTLY_READING)
    assert again.id == first.id and again.status_id == CURRENTLY_READING
    assert len(fake_hardcover.user_books) == 1


async def test_duplicate_insert_error_is_a_mutation_error(fake_hardcover, hardcover_api):
    fake_hardcover.store.duplicate_insert = "error"
    await hardcover_api.insert_user_book(DUNE, status_id=WANT_TO_READ)
    with pytest.raises(UpstreamError) as caught:
        await hardcover_api.insert_user_book(DUNE, status_id=CURRENTLY_READING)
    assert caught.value.reason == "mutation_error"
    assert "already" in caught.value.message


@pytest.mark.parametrize("call", ["insert_book", "update_book", "insert_read", "update_read"])
async def test_action_level_error_strings_are_mutation_errors(fake_hardcover, hardcover_api,
                                                              call):
    entry = await hardcover_api.insert_user_book(DUNE, status_id=WANT_TO_READ)
    read = await hardcover_api.insert_user_book_read(entry.id, started_at="2026-09-14")
    fake_hardcover.store.mutation_errors.append("Something went wrong")
    with pytest.raises(UpstreamError) as caught:
        if call == "insert_book":
            await hardcover_api.insert_user_book(DUNE, status_id=READ)
        elif call == "update_book":
            await hardcover_api.update_user_book(entry.id, {"status_id": READ})
        elif call == "insert_read":
            await hardcover_api.insert_user_book_read(entry.id, started_at="2026-09-15")
        else:
            await hardcover_api.update_user_book_read(read.id, progress_pages=3)
    assert caught.value.reason == "mutation_error"
    assert "Something went wrong" in caught.value.message


async def test_insert_error_example_and_unknown_book(fake_hardcover, hardcover_api):
    fake_hardcover.fail_next(Fault(200, example("hardcover_insert_user_book_error.json")))
    with pytest.raises(UpstreamError) as caught:
        await hardcover_api.insert_user_book(DUNE, status_id=1)
    assert caught.value.reason == "mutation_error"
    with pytest.raises(UpstreamError, match="Book not found"):
        await hardcover_api.insert_user_book(1, status_id=1)


async def test_updates_on_someone_elses_or_missing_entries_fail(hardcover_api):
    with pytest.raises(UpstreamError) as caught:
        await hardcover_api.update_user_book(123, {"status_id": 3})
    assert caught.value.reason == "mutation_error"
    with pytest.raises(UpstreamError):
        await hardcover_api.update_user_book_read(123, progress_pages=1)
    with pytest.raises(UpstreamError):
        await hardcover_api.delete_user_book(123)


async def test_null_user_book_read_with_no_error_is_success(fake_hardcover, hardcover_api):
    entry = await hardcover_api.insert_user_book(DUNE, status_id=CURRENTLY_READING)
    read = await hardcover_api.insert_user_book_read(entry.id, started_at="2026-09-14")
    fake_hardcover.store.null_user_book_read = True
    assert await hardcover_api.update_user_book_read(read.id, progress_pages=50) is None
    assert fake_hardcover.user_book_reads[read.id]["progress_pages"] == 50


async def test_update_read_keeps_omitted_fields_unless_the_server_clears_them(fake_hardcover,
                                                                              hardcover_api):
    entry = await hardcover_api.insert_user_book(DUNE, status_id=CURRENTLY_READING)
    read = await hardcover_api.insert_user_book_read(entry.id, started_at="2026-09-14",
                                                     edition_id=DUNE_EDITION)
    kept = await hardcover_api.update_user_book_read(read.id, progress_pages=10)
    assert kept.started_at == "2026-09-14"
    fake_hardcover.store.clear_omitted_read_fields = True
    cleared = await hardcover_api.update_user_book_read(read.id, progress_pages=20)
    assert cleared.started_at is None  # why callers always resend started_at and edition_id


async def test_page_less_edition_has_no_progress(fake_hardcover, hardcover_api):
    audio = 30405280  # the audiobook edition has pages: null
    entry = await hardcover_api.insert_user_book(DUNE, status_id=CURRENTLY_READING,
                                                 edition_id=audio)
    fake_hardcover.store.books[DUNE]["pages"] = None
    read = await hardcover_api.insert_user_book_read(entry.id, started_at="2026-09-14",
                                                     progress_pages=10, edition_id=audio)
    assert read.progress is None


async def test_status_2_may_create_a_read_on_the_server(fake_hardcover, hardcover_api):
    fake_hardcover.store.status2_creates_read = True
    entry = await hardcover_api.insert_user_book(DUNE, status_id=CURRENTLY_READING)
    looked_up = await hardcover_api.user_book(DUNE)
    assert looked_up.id == entry.id and looked_up.current_read is not None


async def test_delete_removes_the_entry_and_its_reads(fake_hardcover, hardcover_api):
    entry = await hardcover_api.insert_user_book(DUNE, status_id=CURRENTLY_READING)
    await hardcover_api.insert_user_book_read(entry.id, started_at="2026-09-14")
    assert await hardcover_api.delete_user_book(entry.id) == entry.id
    assert fake_hardcover.user_books == {} and fake_hardcover.user_book_reads == {}
    assert await hardcover_api.user_book(DUNE) is None


async def test_rating_can_be_cleared_with_null(fake_hardcover, hardcover_api):
    entry = await hardcover_api.insert_user_book(DUNE, status_id=READ, rating=4.5)
    assert fake_hardcover.user_books[entry.id]["rating"] == 4.5
    cleared = await hardcover_api.update_user_book(entry.id, {"rating": None})
    assert cleared.rating is None
    assert fake_hardcover.requests[-1].json["variables"]["object"] == {"rating": None}


async def test_call_log_has_one_entry_per_call_and_no_token(fake_hardcover, asgi_client,
                                                            make_limiter):
    records: list[CallRecord] = []
    api = HardcoverClient(asgi_client(fake_hardcover.app), HARDCOVER_URL, GOOD_TOKEN,
                          limiter=make_limiter(), on_call=records.append)
    await api.me()
    fake_hardcover.fail_with("hardcover_error_401_invalid_token.json", 401)
    with pytest.raises(UpstreamError):
        await api.user_book(DUNE)
    assert [(r.operation, r.outcome, r.status) for r in records] == [
        ("WhoAmI", "ok", 200), ("MyUserBook", "unauthorized", 401)]
    assert records[0].rate_limit and "Free" in records[0].rate_limit
    assert GOOD_TOKEN not in repr(records)
