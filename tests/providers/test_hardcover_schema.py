"""Every query the client sends is valid against Hardcover's published schema; the fake strict."""

from __future__ import annotations

import httpx
import pytest
from graphql import parse, validate

from bookshelf.providers import hardcover_queries
from bookshelf.providers.hardcover_models import CURRENTLY_READING
from tests.fakes.common import example
from tests.fakes.hardcover import GOOD_TOKEN, schema
from tests.providers.conftest import HARDCOVER_URL

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("name", sorted(hardcover_queries.ALL))
def test_each_document_validates_and_has_one_top_level_field(name):
    document = parse(hardcover_queries.ALL[name])
    assert validate(schema(), document) == []
    [operation] = document.definitions
    assert len(operation.selection_set.selections) == 1
    assert not any(op in hardcover_queries.ALL[name] for op in ("_like", "_ilike", "_regex"))


async def test_every_client_method_passes_the_fakes_validation(fake_hardcover, hardcover_api):
    await hardcover_api.me()
    await hardcover_api.search("Dune", "Frank Herbert")
    await hardcover_api.editions_by_isbn(["9780441172719"])
    await hardcover_api.book_details(312460)
    await hardcover_api.user_book(312460)
    entry = await hardcover_api.insert_user_book(312460, status_id=1, edition_id=30405276)
    await hardcover_api.update_user_book(entry.id, {"status_id": CURRENTLY_READING})
    read = await hardcover_api.insert_user_book_read(entry.id, started_at="2026-09-14")
    await hardcover_api.update_user_book_read(read.id, started_at="2026-09-14", progress_pages=5)
    await hardcover_api.delete_user_book(entry.id)
    assert len(fake_hardcover.requests) == 10
    for sent in fake_hardcover.requests:
        declared = parse(sent.json["query"]).definitions[0].variable_definitions or ()
        assert set(sent.json["variables"]) <= {v.variable.name.value for v in declared}


@pytest.mark.parametrize("name", ["me", "search", "editions_by_isbn", "book_details",
                                  "user_book", "insert_user_book", "update_user_book",
                                  "insert_user_book_read", "update_user_book_read",
                                  "delete_user_book"])
def test_example_request_files_validate(name):
    # The documented request bodies are the reference our documents were written from.
    files = {"editions_by_isbn": "hardcover_editions_by_isbn_request.json",
             "user_book": "hardcover_user_book_lookup_request.json"}
    body = example(files.get(name, f"hardcover_{name}_request.json"))
    assert validate(schema(), parse(body["query"])) == []


async def raw(fake, query: str, variables: dict | None = None) -> httpx.Response:
    transport = httpx.ASGITransport(app=fake.app)
    async with httpx.AsyncClient(transport=transport) as client:
        return await client.post(HARDCOVER_URL, json={"query": query, "variables": variables or {}},
                                 headers={"Authorization": f"Bearer {GOOD_TOKEN}"})


async def test_fake_answers_unknown_fields_in_hasura_shape(fake_hardcover):
    response = await raw(fake_hardcover, "query { books_by_pk(id: 1) { id isbn } }")
    assert response.status_code == 200
    [error] = response.json()["errors"]
    [documented] = example("hardcover_error_graphql_validation.json")["errors"]
    assert error["message"] == documented["message"]
    assert error["extensions"]["code"] == documented["extensions"]["code"]
    assert "data" not in response.json()


async def test_fake_rejects_undeclared_and_missing_variables(fake_hardcover):
    extra = await raw(fake_hardcover, "query { me { id } }", {"foo": 1})
    assert extra.json()["errors"][0]["message"] == "unexpected variables in variableValues: foo"
    missing = await raw(fake_hardcover, "query B($id: Int!) { books_by_pk(id: $id) { id } }")
    assert missing.json()["errors"][0]["message"] == (
        'expecting a value for non-nullable variable: "id"')


async def test_fake_enforces_proxy_limits(fake_hardcover):
    six = "query { " + " ".join(f"m{i}: me {{ id }}" for i in range(6)) + " }"
    assert (await raw(fake_hardcover, six)).json() == {
        "errors": ["top_level_query_limit_exceeded"]}
    two = ('query { a: search(query: "x") { ids } b: search(query: "y") { ids } }')
    assert (await raw(fake_hardcover, two)).status_code == 403
    ilike = 'query { books(where: {title: {_ilike: "%dune%"}}) { id } }'
    response = await raw(fake_hardcover, ilike)
    assert response.status_code == 403 and "_ilike" in response.json()["error"]
    bad = await raw(fake_hardcover, "query { me { id }")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_query"


async def test_fake_returns_in_where_results_in_its_own_order(fake_hardcover):
    response = await raw(fake_hardcover, "query Q($ids: [Int!]) { books(where: {id: {_in: $ids}})"
                                         " { id } }", {"ids": [312460, 312462]})
    assert [b["id"] for b in response.json()["data"]["books"]] == [312462, 312460]
