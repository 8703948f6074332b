"""Metadata lookups against the provider fakes: candidates, scores, cache, and every failure's reason."""

from __future__ import annotations

import pytest

from bookshelf.db import candidates as candidate_rows
from bookshelf.errors import UpstreamError
from bookshelf.runtime import Runtime
from tests.metadata.conftest import AUTHOR, ISBN, TITLE, Fakes
from tests.seed import add_book, job_state, reload


async def stored(rt: Runtime, book_id: str) -> list:
    async with rt.db.read() as conn:
        return await candidate_rows.for_book(conn, book_id)


async def test_every_provider_answers_and_candidates_are_scored(runtime: Runtime, fakes: Fakes) -> None:
    book = await add_book(runtime, TITLE, [AUTHOR], isbn=ISBN)
    report = await runtime.metadata.lookup(book.id)
    assert [(n["source"], n["status"]) for n in report.notes] == [
        ("hardcover", "ok"),
        ("google_books", "ok"),
        ("openlibrary", "ok"),
    ]
    found = await stored(runtime, book.id)
    remote = [c for c in found if c.source != "file"]
    assert {c.source for c in remote} == {"hardcover", "google_books", "openlibrary"}
    assert all(0.9 <= c.score <= 1 for c in remote)  # same ISBN, title and author
    assert [c.score for c in remote] == sorted((c.score for c in remote), reverse=True)
    hc = next(c.to_json() for c in remote if c.source == "hardcover")
    assert hc["series"] == "Hainish Cycle" and hc["seriesIndex"] == 4
    assert hc["description"] == "Hardcover's description."
    assert fakes.google.requests[0].param("key") == "good-key"


async def test_providers_without_credentials_are_skipped_with_a_note(tmp_path, fakes: Fakes) -> None:
    settings = fakes.settings(tmp_path, hardcover_token="", google_books_api_key="")
    rt = await Runtime.open(settings, background=False)
    try:
        book = await add_book(rt, TITLE, [AUTHOR], isbn=ISBN)
        report = await rt.metadata.lookup(book.id)
    finally:
        await rt.close()
    notes = {n["source"]: n for n in report.notes}
    assert notes["hardcover"]["status"] == notes["google_books"]["status"] == "skipped"
    assert notes["hardcover"]["reason"] == notes["google_books"]["reason"] == "not_configured"
    assert "token" in notes["hardcover"]["message"] and "key" in notes["google_books"]["message"]
    assert notes["openlibrary"]["status"] == "ok"
    assert fakes.google.requests == [] and fakes.hardcover.requests == []


FAILURES = {
    "unauthorized": ("hardcover", lambda f: f.hardcover.fail_with("hardcover_error_401_invalid_token.json", 401)),
    "missing_scope": ("hardcover",
                      lambda f: f.hardcover.fail_with("hardcover_error_403_insufficient_scope.json", 403)),
    "graphql_error": ("hardcover", lambda f: f.hardcover.fail_graphql()),
    "quota": ("google_books", lambda f: f.google.fail_quota("day")),
    "timeout": ("google_books", lambda f: f.google.fail_slow(5)),
}  # fmt: skip


@pytest.mark.parametrize("reason", list(FAILURES))
async def test_each_failure_is_a_distinct_reason_on_the_job(runtime: Runtime, fakes: Fakes, reason: str) -> None:
    source, inject = FAILURES[reason]
    await runtime.preferences.patch({"metadataSources": [source]})
    inject(fakes)
    book = await add_book(runtime, TITLE, [AUTHOR], isbn=ISBN)

    with pytest.raises(UpstreamError) as raised:
        await runtime.metadata.lookup(book.id)
    assert raised.value.reason == reason
    inject(fakes)
    job_id = (await runtime.jobs.enqueue("lookup_metadata", book.id)).id
    await runtime.jobs.drain()
    job = await job_state(runtime, job_id)
    assert job.state == "failed"
    assert f"{source}: {reason}:" in job.error  # never an empty "no match"
    page = await runtime.review.candidates(book.id)
    assert page["lookup"]["notes"] == [{"source": source, "status": "error", "reason": reason,
                                        "message": page["lookup"]["notes"][0]["message"]}]  # fmt: skip
    assert (await reload(runtime, book.id)).status == "review"  # still reviewable with the file's values


async def test_one_failure_among_answers_completes_with_a_note(runtime: Runtime, fakes: Fakes) -> None:
    fakes.hardcover.fail_with("hardcover_error_401_invalid_token.json", 401)
    book = await add_book(runtime, TITLE, [AUTHOR], isbn=ISBN)
    job_id = (await runtime.jobs.enqueue("lookup_metadata", book.id)).id
    await runtime.jobs.drain()
    assert (await job_state(runtime, job_id)).state == "completed"
    notes = (await runtime.review.candidates(book.id))["lookup"]["notes"]
    assert [(n["source"], n["status"], n["reason"]) for n in notes] == [
        ("hardcover", "error", "unauthorized"),
        ("google_books", "ok", "fetched"),
        ("openlibrary", "ok", "fetched"),
    ]
    assert {c.source for c in await stored(runtime, book.id)} == {"file", "google_books", "openlibrary"}


async def test_no_match_is_not_a_failure(runtime: Runtime, fakes: Fakes) -> None:
    book = await add_book(runtime, "A Book Nobody Has Heard Of", ["Nobody Atall"])
    report = await runtime.metadata.lookup(book.id)
    assert {n["status"] for n in report.notes} == {"ok"}
    assert {n["message"] for n in report.notes} == {"no match"}
    assert {(n["reason"], n["results"]) for n in report.notes} == {("no_match", 0)}
    assert [c.source for c in await stored(runtime, book.id)] == ["file"]


async def test_cache_serves_automatic_lookups_and_refetch_bypasses_it(runtime: Runtime, fakes: Fakes) -> None:
    book = await add_book(runtime, TITLE, [AUTHOR], isbn=ISBN)
    await runtime.metadata.lookup(book.id)
    asked = fakes.request_count()
    assert asked >= 3
    again = await runtime.metadata.lookup(book.id)
    assert fakes.request_count() == asked  # a cache hit spends no request
    assert {n["reason"] for n in again.notes} == {"cached"}
    assert len([c for c in await stored(runtime, book.id) if c.source != "file"]) == 3  # replaced, not doubled
    await runtime.metadata.lookup(book.id, bypass_cache=True)
    assert fakes.request_count() > asked
    await runtime.preferences.patch({"metadataCacheHours": 0})  # 0 turns the cache off
    asked = fakes.request_count()
    await runtime.metadata.lookup(book.id)
    assert fakes.request_count() > asked


async def test_metadata_sources_empty_turns_lookups_off(runtime: Runtime, fakes: Fakes) -> None:
    await runtime.preferences.patch({"metadataSources": []})
    book = await add_book(runtime, TITLE, [AUTHOR], isbn=ISBN)
    report = await runtime.metadata.lookup(book.id)
    assert report.notes == [] and fakes.request_count() == 0


async def test_auto_approve_fills_file_values_from_the_best_candidate(runtime: Runtime, fakes: Fakes) -> None:
    await runtime.preferences.patch({"autoApprove": True, "autoApproveMinScore": 0.9})
    book = await add_book(runtime, TITLE, [AUTHOR], isbn=ISBN, description=None)
    await runtime.jobs.enqueue("lookup_metadata", book.id)
    await runtime.jobs.drain()
    after = await reload(runtime, book.id)
    assert after.status == "organized" and after.organized_at
    assert after.title == TITLE  # the file's own value wins
    assert after.description in {"Hardcover's description.", "Google's description.", "Open Library's description."}
    assert after.files[0].root == "library"  # and the organize job ran


async def test_auto_approve_leaves_weak_matches_in_review(runtime: Runtime, fakes: Fakes) -> None:
    await runtime.preferences.patch({"autoApprove": True, "autoApproveMinScore": 0.9})
    book = await add_book(runtime, "Left Hand", ["Somebody Else"])
    await runtime.jobs.enqueue("lookup_metadata", book.id)
    await runtime.jobs.drain()
    assert (await reload(runtime, book.id)).status == "review"
