"""No query string, however odd, makes search answer with a 5xx or an FTS syntax error."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookshelf.runtime import Runtime
from bookshelf.services.search.service import build_plan
from bookshelf.services.search.vocabulary import Vocabulary
from tests.library_books import add_book

FTS_SYNTAX = ['"', "*", "NEAR", "NEAR(", "AND", "OR", "NOT", "(", ")", "^", ":", "{", "}", "-", "+", "'", "\\", "%"]
NASTY = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from([*FTS_SYNTAX, "title", "brontë", "dostoyevsky", " ", "\u0301", "日本"]), max_size=15).map(
        " ".join
    ),
    st.lists(st.sampled_from(FTS_SYNTAX), max_size=30).map("".join),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=400, max_size=600),
)
ODD = [
    '"',
    "*",
    "NEAR",
    "AND",
    "(",
    ")",
    "title:foo",
    '"unbalanced',
    "a AND (b OR",
    "NEAR(a b, 3)",
    "-brontë",
    "^start",
    "'; DROP TABLE books; --",
    "\x00",
    "x" * 10_000,
    "word " * 2000,
    "日本語のタイトル",
    "e\u0301",
]


@pytest.fixture
async def small_library(runtime: Runtime) -> Runtime:
    await add_book(runtime, "Wuthering Heights", ["Emily Brontë"], description="Moors and NEAR things (AND more).")
    await add_book(runtime, "Title: A Study", ["A. Writer"], series="Series*", description='Quotes " inside')
    return runtime


def _check(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text)
    assert response.status_code in (200, 400), response.status_code
    assert response.headers["content-type"].startswith("application/json")


async def test_odd_queries_never_fail(small_library: Runtime, api: httpx.AsyncClient) -> None:
    for query in ODD:
        for path in ("/api/library", "/api/search/suggest", "/api/library/facets"):
            _check(await api.get(path, params={"q": query}))
        _check(await api.get("/api/library", params={"q": query, "sort": "author_desc"}))
        assert isinstance(await small_library.search.match(query, ("organized",)), list)


@pytest.mark.anyio  # @given hides the coroutine from conftest's automatic marker
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=NASTY)
async def test_fuzzed_queries_never_fail(small_library: Runtime, api: httpx.AsyncClient, query: str) -> None:
    response = await api.get("/api/library", params={"q": query})
    _check(response)
    if response.status_code == 200:
        assert response.json()["total"] >= 0
    _check(await api.get("/api/search/suggest", params={"q": query}))


@settings(max_examples=200, deadline=None)
@given(query=NASTY)
def test_plans_are_valid_fts(query: str) -> None:
    """Every expression build_plan makes parses in SQLite's FTS5, with and without corrections."""
    import sqlite3

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(title, authors, series, description)")
    vocabulary = Vocabulary([("bronte", 1), ("dostoyevsky", 1), ("title", 2), ("near", 1), ("andante", 1)])
    for columns in (None, "{title authors}"):
        plan = build_plan(query, vocabulary, columns)
        if plan is None:
            continue
        for expression in (plan.exact, plan.superset(), f"({plan.superset()}) NOT ({plan.exact})"):
            conn.execute("SELECT count(*) FROM t WHERE t MATCH ?", (expression,)).fetchone()
