"""One paging rule: every whole-number query parameter of every route is bounded, and odd values are 400s.

Generated from the route table, so a list route added later is covered without
a test of its own: a huge, negative, fractional or non-numeric page, limit,
perPage or facetLimit is a 400 naming the field, never a 500.
"""

from __future__ import annotations

import base64
import re

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookshelf.runtime import Runtime
from bookshelf.web.endpoints import all_endpoints
from tests.contract.test_routes import concrete
from tests.library_books import add_book

WHOLE_NUMBER_PARAMS = [
    (endpoint.method, endpoint.path, param["name"], param["schema"])
    for endpoint in all_endpoints()
    for param in endpoint.params
    if param["in"] == "query" and param["schema"].get("type") == "integer"
]
ASCII_WHOLE = re.compile(r"-?[0-9]+")

huge = st.integers(min_value=10**6, max_value=10**40).map(str)
negative = st.integers(max_value=-1).map(str)
fractional = st.floats(allow_nan=False, allow_infinity=False).map(repr)
non_numeric = st.text(max_size=12).filter(lambda s: not ASCII_WHOLE.fullmatch(s))
other_digits = st.text(alphabet=st.characters(categories=["Nd"], exclude_characters="0123456789"), min_size=1,
                       max_size=4)  # fmt: skip
decorated = (
    st.integers(min_value=0, max_value=500)
    .map(str)
    .flatmap(lambda n: st.sampled_from([f" {n}", f"{n} ", f"+{n}", f"{n}_0", f"0x{n}", f"{n}e0", "9" * 4400]))
)
in_bounds = st.integers(min_value=0, max_value=2_000_000).map(str)
RAW = st.one_of(huge, negative, fractional, non_numeric, other_digits, decorated, in_bounds)


def test_every_whole_number_parameter_declares_its_bounds() -> None:
    assert {"page", "limit", "perPage", "facetLimit"} <= {name for _, _, name, _ in WHOLE_NUMBER_PARAMS}
    for method, path, name, schema in WHOLE_NUMBER_PARAMS:
        assert "minimum" in schema and "maximum" in schema, f"{method} {path} ?{name} is unbounded in the spec"


@pytest.fixture
async def opened(runtime: Runtime, api: httpx.AsyncClient) -> httpx.AsyncClient:
    for n in range(3):
        await add_book(runtime, f"Paged Book {n}", ["A. Writer"])
    await api.put("/api/credentials/opds", json={"username": "reader", "password": "pw"})
    return api


@pytest.mark.anyio  # @given hides the coroutine from conftest's automatic marker
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=st.sampled_from(WHOLE_NUMBER_PARAMS), raw=RAW)
async def test_odd_whole_numbers_are_refused_never_fail(
    opened: httpx.AsyncClient, target: tuple[str, str, str, dict[str, int]], raw: str
) -> None:
    method, path, name, schema = target
    headers = {}
    if path.startswith("/opds"):
        headers["Authorization"] = "Basic " + base64.b64encode(b"reader:pw").decode()
    url = concrete(path)
    extra = {"q": "paged"} if "search" in path else {}
    response = await opened.request(method, url, params={**extra, name: raw}, headers=headers)
    assert response.status_code < 500, (method, path, name, raw, response.text[:300])
    in_range = bool(ASCII_WHOLE.fullmatch(raw)) and len(raw) < 20 and schema["minimum"] <= int(raw) <= schema["maximum"]
    valid = raw == "" or in_range  # an empty value means the default
    if valid:
        assert response.status_code != 400 or name not in response.text, (path, name, raw, response.text[:300])
    else:
        assert response.status_code in (400, 404), (path, name, raw, response.status_code)
        if response.status_code == 400 and path.startswith("/api"):
            details = response.json()["error"].get("details") or []
            assert any(d.get("field") == name for d in details), response.text


async def test_an_absurd_trash_page_is_a_400(opened: httpx.AsyncClient) -> None:
    response = await opened.get("/api/trash", params={"page": "304865829391049630416896"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
