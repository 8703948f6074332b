"""Validation names the field and the limit it broke, so a form can say so beside that field."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bookshelf.errors import InvalidInput
from bookshelf.runtime import Runtime
from bookshelf.services.metadata import bookfields
from tests.library_books import add_book

LIMITS = {"title": 500, "subtitle": 500, "series": 500, "publisher": 300, "language": 35}


@settings(max_examples=200, deadline=None)
@given(field=st.sampled_from(sorted(LIMITS)), extra=st.integers(1, 400), letter=st.characters(categories=["L"]))
def test_a_text_over_its_limit_names_field_and_limit(field: str, extra: int, letter: str) -> None:
    value = letter * (LIMITS[field] + extra)
    with pytest.raises(InvalidInput) as caught:
        bookfields.clean_changes({field: value}, "")
    (problem,) = caught.value.details or []
    assert problem == {"field": field, "message": f"must be at most {LIMITS[field]} characters",
                       "limit": LIMITS[field]}  # fmt: skip
    assert field in caught.value.message and str(LIMITS[field]) in caught.value.message
    assert bookfields.clean_changes({field: value[: LIMITS[field]]}, "")[field] == value[: LIMITS[field]]


@settings(max_examples=200, deadline=None)
@given(year=st.integers(-(10**6), 10**6))
def test_a_number_out_of_range_names_its_range(year: int) -> None:
    if 0 <= year <= 3000:
        assert bookfields.clean_changes({"publishedYear": year}, "") == {"publishedYear": year}
        return
    with pytest.raises(InvalidInput) as caught:
        bookfields.clean_changes({"publishedYear": year}, "")
    assert caught.value.details == [{"field": "publishedYear", "message": "must be a whole number from 0 to 3000, "
                                     "or null", "limit": 3000, "min": 0}]  # fmt: skip


async def test_the_api_answers_the_field_and_limit(runtime: Runtime, api: httpx.AsyncClient) -> None:
    book = await add_book(runtime, "Jane Eyre", ["Charlotte Brontë"])
    response = await api.patch(f"/api/library/{book.id}", json={"title": "x" * 600, "publishedYear": 1847})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_input" and "title must be at most 500 characters" in error["message"]
    assert error["details"] == [{"field": "title", "message": "must be at most 500 characters", "limit": 500}]
    assert (await api.get(f"/api/library/{book.id}")).json()["publishedYear"] is None  # nothing applied
