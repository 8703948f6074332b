"""The server-rendered parts of the pages, from real books in a real database through the real app."""

from __future__ import annotations

import re
import time

import httpx

from bookshelf.models import Progress
from bookshelf.runtime import Runtime
from tests.seed import add_book
from tests.ui_helpers import sign_in


async def _progress(rt: Runtime, book_id: str, percentage: float, device: str = "Kobo") -> None:
    book = await rt.review.book(book_id)
    await rt.reading.record(
        await rt.accounts.first_admin_id(), Progress(book.files[0].koreader_hash, device, percentage, "/body/p[1]")
    )


async def test_dashboard_book_reading_and_jobs_are_rendered_from_the_services(
    client: httpx.AsyncClient, api_key: str, runtime: Runtime
) -> None:
    shelved = await add_book(runtime, "Shelved & <Bound>", ["Ann Author"], status="organized", series="Cycle",
                             series_index=2, description="A long tale.")  # fmt: skip
    waiting = await add_book(runtime, "Waiting Book", ["Bo Writer"])
    await _progress(runtime, shelved.id, 0.42)
    await sign_in(client, api_key)

    dashboard = (await client.get("/")).text
    assert "Shelved &amp; &lt;Bound&gt;" in dashboard  # escaped, never raw markup
    assert re.search(r"<dt>Books</dt><dd>1</dd>", dashboard)
    assert "Inbox: 1 book(s)" in dashboard
    assert 'aria-label="Progress of Shelved &amp; &lt;Bound&gt;"' in dashboard  # currently reading, 42%
    assert f"/api/library/{shelved.id}/cover?v=" in dashboard

    page = (await client.get(f"/books/{shelved.id}")).text
    assert '<h1 data-field="title">Shelved &amp; &lt;Bound&gt;</h1>' in page
    assert "Cycle #2" in page and "A long tale." in page and "Ann Author" in page
    file = shelved.files[0]
    assert f'href="/api/library/{shelved.id}/download/{file.id}"' in page
    assert "<strong>Kobo</strong>" in page and "42%" in page
    assert 'value="Shelved &amp; &lt;Bound&gt;"' in page  # the edit form is filled in
    assert "not linked" in page

    # An inbox book's page is its review page, and a shelved book's review page is its book page.
    assert (await client.get(f"/books/{waiting.id}")).headers["location"] == f"/review/{waiting.id}"
    assert (await client.get(f"/review/{shelved.id}")).headers["location"] == f"/books/{shelved.id}"
    review = (await client.get(f"/review/{waiting.id}")).text
    assert "Waiting Book" in review and 'data-status="review"' in review

    reading = (await client.get("/reading")).text
    assert re.search(r'data-count="reading">\(1\)', reading)
    assert re.search(r'data-count="unread">\(0\)', reading)  # inbox books are not on the reading lists

    jobs = (await client.get("/jobs")).text
    assert '<th scope="row">parse</th>' in jobs and '<th scope="row">organize</th>' in jobs

    inbox = (await client.get("/inbox")).text
    assert "data-inbox-total>(1)" in inbox and "Review (1)" in inbox


async def test_stats_page_draws_reading_from_the_stats_service(
    client: httpx.AsyncClient, api_key: str, runtime: Runtime
) -> None:
    await sign_in(client, api_key)
    assert "once KOReader devices sync" in (await client.get("/stats")).text
    book = await add_book(runtime, "Read Often", status="organized")
    hash_ = book.files[0].koreader_hash
    now = int(time.time())
    for step in range(10):  # writes five minutes apart count as reading time
        await runtime.reading.record(
            await runtime.accounts.first_admin_id(),
            Progress(hash_, "Kobo", 0.55 + step * 0.05, f"p{step}"),
            at=now - 300 * (9 - step),
        )
    html = (await client.get("/stats")).text
    assert "once KOReader devices sync" not in html
    assert re.search(r"<dt>Finished, all time</dt><dd>1</dd>", html)
    assert re.search(r'class="heat-[1-4]"', html)
