"""The Atom writer's escaping: any text in any field parses back as itself, minus what XML cannot carry."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

from bookshelf.models import Book, BookFile, BookLinks, CatalogState
from bookshelf.services.library.catalog import Entry, Page
from bookshelf.web import opds_xml
from tests.opds.helpers import NS

# Everything a string can hold except lone surrogates (which cannot even be encoded): control
# characters, quotes, ampersands, angle brackets, CR, LF, tabs, U+FFFE, every script.
anything = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)


def _entry(title: str, author: str, genre: str, publisher: str) -> Entry:
    book = Book(id="5b1e6c0e-7c4b-4d8e-9a51-1f0c2d3e4f50", status="organized", title=title, authors=[author],
                genres=[genre], publisher=publisher, created_at="2026-01-02T03:04:05Z",
                updated_at="2026-01-02T03:04:05Z")  # fmt: skip
    book.files = [BookFile(id="f", book_id=book.id, format="epub", root="library", path="a.epub", filename="a.epub",
                           size=1, sha256="s", koreader_hash="k", page_count=None, added_at="2026")]  # fmt: skip
    return Entry(book, BookLinks(authors=[(7, author)]), None, None, None)


def _parsed_text(text: str) -> str:
    """What a conforming parser hands back for ``text`` written as character data (XML 1.0, 2.11)."""
    return opds_xml.clean(text).replace("\r\n", "\n").replace("\r", "\n")


@settings(max_examples=300, deadline=None)
@given(title=anything, author=anything, genre=anything, publisher=anything)
def test_every_value_parses_back_as_written(title: str, author: str, genre: str, publisher: str) -> None:
    urls = opds_xml.Urls("http", "shelf.local:8080", "/books & more")
    info = opds_xml.FeedInfo("urn:x", title, "/opds/search", opds_xml.ACQUISITION, query={"q": title})
    body = opds_xml.acquisition_feed(urls, info, _state(), Page([_entry(title, author, genre, publisher)], 1, 1))
    feed = ET.fromstring(body)
    assert feed.findtext("a:title", namespaces=NS) == _parsed_text(title)
    entry = feed.find("a:entry", NS)
    assert entry is not None
    shown = entry.findtext("a:title", namespaces=NS)
    assert shown == (_parsed_text(title) if opds_xml.clean(title).strip() else "Untitled")
    assert entry.findtext("dc:publisher", namespaces=NS) == (_parsed_text(publisher) if publisher else None)
    category = entry.find("a:category", NS)
    assert category is not None and category.get("label") == opds_xml.clean(genre)  # attributes keep CR, LF, tab
    related = [link for link in entry.findall("a:link", NS) if link.get("rel") == "related"]
    assert [link.get("title") for link in related] == [f"More by {opds_xml.clean(author)}"]
    assert all(link.get("href", "").startswith("http://shelf.local:8080/books%20%26%20more/") for link in related)
    document = ET.fromstring(opds_xml.entry_document(urls, _entry(title, author, genre, publisher)))
    assert document.tag == "{http://www.w3.org/2005/Atom}entry"
    assert b"xmlns:opds=" in body and b"xmlns:dc=" in body  # KOReader matches these literal prefixes


def _state() -> CatalogState:
    return CatalogState(1, "2026-01-02T03:04:05Z")
