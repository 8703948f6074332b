"""The three providers as local fakes on loopback ports, and settings that point at them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bookshelf.runtime import Runtime
from bookshelf.settings import Settings
from tests.conftest import make_settings
from tests.fakes.google_books import FakeGoogleBooks
from tests.fakes.hardcover import GOOD_TOKEN, FakeHardcover, schema
from tests.fakes.hardcover_search import make_book
from tests.fakes.openlibrary import FakeOpenLibrary
from tests.fakes.server import serve_in_thread

ISBN = "9780441478125"
TITLE = "The Left Hand of Darkness"
AUTHOR = "Ursula K. Le Guin"


@dataclass
class Fakes:
    google: FakeGoogleBooks
    hardcover: FakeHardcover
    openlibrary: FakeOpenLibrary
    urls: dict[str, str]

    def settings(self, root: Path, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "google_books_url": self.urls["google"] + "/books/v1",
            "hardcover_url": self.urls["hardcover"] + "/v1/graphql",
            "openlibrary_url": self.urls["openlibrary"],
            "openlibrary_covers_url": self.urls["openlibrary"],
            "hardcover_token": GOOD_TOKEN,
            "google_books_api_key": "good-key",
            "provider_timeout": 2.0,
        }
        values.update(overrides)
        return make_settings(root, **values)

    def request_count(self) -> int:
        return sum(len(f.requests) for f in (self.google, self.hardcover, self.openlibrary))


class Switch:
    """An ASGI app that forwards to whichever fake the current test installed."""

    def __init__(self) -> None:
        self.app: Any = None
        self.url = ""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


@pytest.fixture(scope="session")
def servers() -> Iterator[dict[str, Switch]]:
    """One loopback server per provider for the whole run (starting and stopping them is slow)."""
    switches = {"google": Switch(), "hardcover": Switch(), "openlibrary": Switch()}
    with ExitStack() as stack:
        for switch in switches.values():
            switch.url = stack.enter_context(serve_in_thread(switch))
        yield switches


@pytest.fixture
def fakes(servers: dict[str, Switch]) -> Iterator[Fakes]:
    schema()  # built once per run, before any request can time out waiting for it
    google = FakeGoogleBooks.from_books([
        {"id": "gb-lhd", "title": TITLE, "authors": [AUTHOR], "isbn13": ISBN, "publisher": "Ace Books",
         "published": "1969-03-01", "description": "Google's description.", "pages": 304,
         "categories": ["Fiction / Science Fiction"]},
    ], key_mode="required")  # fmt: skip
    book = make_book(4242, TITLE, [AUTHOR], isbn13=ISBN, pages=300, year=1969, series="Hainish Cycle",
                     series_position=4, genres=["Science Fiction"], description="Hardcover's description.",
                     publisher="Ace")  # fmt: skip
    for edition in book["editions"]:  # the schema wants a language name, which make_book leaves out
        edition["language"]["language"] = "English"
    hardcover = FakeHardcover([book])
    openlibrary = FakeOpenLibrary.from_books([
        {"title": TITLE, "authors": [AUTHOR], "isbn13": ISBN, "year": 1969, "pages": 286, "cover_id": 7001,
         "publisher": "Ace", "description": "Open Library's description."},
    ])  # fmt: skip
    servers["google"].app = google.app
    servers["hardcover"].app = hardcover.app
    servers["openlibrary"].app = openlibrary.app
    yield Fakes(google, hardcover, openlibrary, {name: switch.url for name, switch in servers.items()})


@pytest.fixture
def settings(tmp_path: Path, fakes: Fakes) -> Settings:
    return fakes.settings(tmp_path)


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """The real runtime with its jobs run inline: ``await rt.jobs.drain()`` runs what was queued,
    through the same task functions the queue consumer calls."""
    rt = await Runtime.open(settings, background=False, inline_jobs=True)
    try:
        yield rt
    finally:
        await rt.close()
