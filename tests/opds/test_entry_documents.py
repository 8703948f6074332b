"""Every OPDS entry stands alone, whatever the book lacks and whatever script its names are in."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookshelf.runtime import Runtime
from tests.opds.helpers import NS, add_book, assert_feed, links

# Every script and symbol XML 1.0 can carry (control characters are dropped by the parsers first).
names = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"], exclude_characters="\ufffe\uffff"),
                max_size=40)  # fmt: skip


@pytest.mark.anyio  # @given hides the coroutine from conftest's automatic marker
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    title=names.filter(str.strip),
    authors=st.lists(names.filter(str.strip), max_size=3, unique=True),
    description=st.none() | names,
    language=st.none() | st.sampled_from(["en", "el", "ar", "he", "ja", "ru", "vi"]),
)
async def test_entry_documents_and_feed_entries_are_valid_atom(
    runtime: Runtime, opds: httpx.AsyncClient, title: str, authors: list[str], description: str | None,
    language: str | None,
) -> None:  # fmt: skip
    made = await add_book(runtime, title, authors, description=description, language=language)
    response = await opds.get(f"/opds/books/{made.book.id}")
    assert response.status_code == 200
    entry = assert_feed(response.content)  # structure, then the RELAX NG schema where ../shared is present
    names_shown = [a.findtext("a:name", namespaces=NS) for a in entry.findall("a:author", NS)]
    assert names_shown and all(name and name.strip() for name in names_shown), names_shown
    assert len(names_shown) == len(authors) or names_shown == ["bookshelf"], (names_shown, authors)
    assert (entry.findtext("a:title", namespaces=NS) or "").strip()
    alternate = [link for link in links(entry, "alternate") if link.get("type") == "text/html"]
    assert alternate and alternate[0].get("href").endswith(f"/books/{made.book.id}")
    assert_feed((await opds.get("/opds/new")).content)
