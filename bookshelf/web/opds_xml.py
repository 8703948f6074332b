"""Atom (OPDS 1.2) and OpenSearch documents, built with ElementTree so every value is escaped once."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from bookshelf.models import CatalogState, NavItem
from bookshelf.services.library.catalog import Entry, Page, acquisition_type

ATOM = "http://www.w3.org/2005/Atom"
DC = "http://purl.org/dc/terms/"
OPDS = "http://opds-spec.org/2010/catalog"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
PSE = "http://vaemendis.net/opds-pse/ns"
THR = "http://purl.org/syndication/thread/1.0"
# KOReader's parser is not namespace-aware: it matches literal prefixes such as "opds:".
for _prefix, _uri in (("dc", DC), ("opds", OPDS), ("opensearch", OPENSEARCH), ("pse", PSE), ("thr", THR)):
    ET.register_namespace(_prefix, _uri)

NAVIGATION = "application/atom+xml;profile=opds-catalog;kind=navigation"
ACQUISITION = "application/atom+xml;profile=opds-catalog;kind=acquisition"
ENTRY = "application/atom+xml;type=entry;profile=opds-catalog"
OPENSEARCH_TYPE = "application/opensearchdescription+xml"
REL_ACQUISITION = "http://opds-spec.org/acquisition"
REL_IMAGE = "http://opds-spec.org/image"
REL_THUMBNAIL = "http://opds-spec.org/image/thumbnail"
REL_FACET = "http://opds-spec.org/facet"
REL_STREAM = "http://vaemendis.net/opds-pse/stream"
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
SUMMARY_CHARS = 1200
CATALOG_AUTHOR = "bookshelf"
# XML 1.0 cannot carry these at all, escaped or not; a stray one in a title must not break the feed.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: object) -> str:
    return _NOT_XML.sub("", str(text))


def rfc3339(value: str | None, fallback: str) -> str:
    """An RFC 3339 UTC timestamp with a Z, whatever ISO form the database holds."""
    for candidate in (value, fallback):
        if not candidate:
            continue
        try:
            moment = datetime.fromisoformat(candidate.replace("Z", "+00:00"))
        except ValueError:
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return "1970-01-01T00:00:00Z"


class Urls:
    """Absolute links from the request's own scheme, host and prefix (set by trusted proxies)."""

    def __init__(self, scheme: str, netloc: str, root_path: str) -> None:
        self.base = f"{scheme}://{netloc}{quote(root_path.rstrip('/'), safe='/%')}"

    def __call__(self, path: str, **query: object) -> str:
        params = {k: v for k, v in query.items() if v is not None}
        suffix = "?" + urlencode(params, quote_via=quote) if params else ""
        return self.base + quote(path, safe="/%") + suffix


@dataclass
class FeedInfo:
    """What a feed is: its id, title, path (and query) and where "up" leads."""

    id: str
    title: str
    path: str
    kind: str  # NAVIGATION or ACQUISITION
    up: str | None = "/opds"
    query: dict[str, str] = field(default_factory=dict)
    facets: list[Facet] = field(default_factory=list)


@dataclass(frozen=True)
class Facet:
    """Another view of the same feed (OPDS 1.2 section 4): one group, at most one active."""

    group: str
    title: str
    path: str
    query: dict[str, str]
    active: bool


@dataclass(frozen=True)
class NavEntry:
    id: str
    title: str
    content: str
    path: str
    kind: str
    rel: str = "subsection"


def _el(parent: ET.Element, tag: str, text: object = None, **attrs: object) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: clean(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        element.text = clean(text)
    return element


def _link(parent: ET.Element, rel: str | None, href: str, type_: str, **attrs: object) -> ET.Element:
    return _el(parent, "link", rel=rel, href=href, type=type_, **attrs)


def serialize(root: ET.Element, namespace: str = ATOM) -> bytes:
    """UTF-8 with our own declaration. Atom (or OpenSearch) elements are built unqualified and the
    root declares their namespace as the default: ElementTree's own default_namespace option
    refuses unprefixed attributes, and clients need these elements unprefixed."""
    root.set("xmlns", namespace)
    return DECLARATION + ET.tostring(root, encoding="unicode").encode("utf-8")


def _feed(urls: Urls, info: FeedInfo, state: CatalogState, page: Page[Any] | None) -> ET.Element:
    feed = ET.Element("feed")
    _el(feed, "id", info.id)
    _el(feed, "title", info.title)
    _el(feed, "updated", rfc3339(state.changed_at, ""))
    author = _el(feed, "author")
    _el(author, "name", CATALOG_AUTHOR)
    current = page.page if page else 1
    _link(feed, "self", urls(info.path, **info.query, page=current if current > 1 else None), info.kind)
    _link(feed, "start", urls("/opds"), NAVIGATION, title="Home")
    if info.up:
        _link(feed, "up", urls(info.up), NAVIGATION)
    _link(feed, "search", urls("/opds/search"), OPENSEARCH_TYPE, title="Search")
    if page is not None:
        _pagination(feed, urls, info, page)
    for facet in info.facets:
        attrs = {f"{{{OPDS}}}facetGroup": facet.group, f"{{{OPDS}}}activeFacet": "true" if facet.active else None}
        _link(feed, REL_FACET, urls(facet.path, **facet.query), info.kind, title=facet.title, **attrs)
    return feed


def _pagination(feed: ET.Element, urls: Urls, info: FeedInfo, page: Page[Any]) -> None:
    last = page.last_page

    def at(number: int) -> str:
        return urls(info.path, **info.query, page=number if number > 1 else None)

    _link(feed, "first", at(1), info.kind)
    _link(feed, "last", at(last), info.kind)
    if 1 < page.page <= last:
        _link(feed, "previous", at(page.page - 1), info.kind)
    if page.page < last:
        _link(feed, "next", at(page.page + 1), info.kind)
    _el(feed, f"{{{OPENSEARCH}}}totalResults", page.total)
    _el(feed, f"{{{OPENSEARCH}}}itemsPerPage", page.per_page)
    _el(feed, f"{{{OPENSEARCH}}}startIndex", (page.page - 1) * page.per_page + 1)


def navigation_feed(
    urls: Urls, info: FeedInfo, state: CatalogState, entries: list[NavEntry], page: Page[Any] | None = None
) -> bytes:
    feed = _feed(urls, info, state, page)
    updated = rfc3339(state.changed_at, "")
    for item in entries:
        entry = _el(feed, "entry")
        _el(entry, "title", item.title)
        _el(entry, "id", item.id)
        _el(entry, "updated", updated)
        _el(entry, "content", item.content, type="text")
        _link(entry, item.rel, urls(item.path), item.kind, title=item.title)
    return serialize(feed)


def nav_entries(table: str, items: list[NavItem]) -> list[NavEntry]:
    """Authors, genres or series as entries leading to their acquisition feeds."""
    singular = {"authors": "author", "genres": "genre", "series": "series"}[table]
    return [
        NavEntry(
            f"urn:bookshelf:{singular}:{item.id}",
            item.name,
            f"{item.count} book" + ("" if item.count == 1 else "s"),
            f"/opds/{table}/{item.id}",
            ACQUISITION,
        )
        for item in items
    ]


def acquisition_feed(urls: Urls, info: FeedInfo, state: CatalogState, page: Page[Entry]) -> bytes:
    feed = _feed(urls, info, state, page)
    for item in page.items:
        _book(feed, urls, item, complete=False)
    return serialize(feed)


def entry_document(urls: Urls, item: Entry) -> bytes:
    root = ET.Element("entry")
    _book(root, urls, item, complete=True)
    return serialize(root)


def _book(parent: ET.Element, urls: Urls, item: Entry, complete: bool) -> None:
    book = item.book
    entry = parent if complete else _el(parent, "entry")
    page_url = urls(f"/opds/books/{book.id}")
    _el(entry, "title", book.title if clean(book.title).strip() else "Untitled")
    _el(entry, "id", f"urn:uuid:{book.id}")
    _el(entry, "updated", rfc3339(book.updated_at, book.created_at))
    if book.organized_at:
        _el(entry, "published", rfc3339(book.organized_at, book.created_at))
    names: list[tuple[int | None, str]] = list(item.links.authors) or [(None, name) for name in book.authors]
    names = [(author_id, name) for author_id, name in names if clean(name).strip()]
    # Atom (RFC 4287 4.1.2) wants an author on every entry that stands alone, and strict clients
    # check entries one by one even inside a feed: a book without one is credited to the catalog.
    for author_id, name in names or [(None, CATALOG_AUTHOR)]:
        author = _el(entry, "author")
        _el(author, "name", name)
        if author_id is not None:
            _el(author, "uri", urls(f"/opds/authors/{author_id}"))
    for credit in book.contributors:  # an inker or colorist is credited, never listed as an author
        _el(_el(entry, "contributor"), "name", credit.name)
    _dublin_core(entry, item)
    for genre in book.genres:
        _el(entry, "category", term=genre, label=genre)
    for tag in book.tags:
        _el(entry, "category", term=tag, label=tag, scheme="urn:bookshelf:tag")
    if book.description:
        text = book.description
        summary = text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1].rstrip() + "…"
        _el(entry, "summary", summary, type="text")
        if complete:
            _el(entry, "content", text, type="text")
    _link(entry, "self" if complete else "alternate", page_url, ENTRY, title="Full entry")
    if complete:
        # Atom 4.1.1.1: without content an entry needs rel="alternate"; the book's web page is one.
        _link(entry, "alternate", urls(f"/books/{book.id}"), "text/html", title="Book page")
    for author_id, name in item.links.authors:
        _link(entry, "related", urls(f"/opds/authors/{author_id}"), ACQUISITION, title=f"More by {name}")
    if item.links.series_id is not None and book.series:
        _link(entry, "related", urls(f"/opds/series/{item.links.series_id}"), ACQUISITION, title=book.series)
    if item.cover_type:
        _link(entry, REL_IMAGE, page_url + "/cover", item.cover_type)
        _link(entry, REL_THUMBNAIL, page_url + "/thumbnail", item.thumb_type or item.cover_type)
    for file in book.files:
        media_type = acquisition_type(file.format)
        if media_type:
            href = f"{page_url}/download/{file.id}"
            _link(entry, REL_ACQUISITION, href, media_type, title=file.format.upper(), length=file.size)
    if item.stream is not None:
        # PSE clients substitute these two literal placeholders; they must stay unencoded.
        count: dict[str, object] = {f"{{{PSE}}}count": item.stream.page_count}
        if item.last_read is not None:
            count[f"{{{PSE}}}lastRead"] = item.last_read.page
            moment = datetime.fromtimestamp(item.last_read.timestamp, UTC)
            count[f"{{{PSE}}}lastReadDate"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        title = f"Read {item.stream.format.upper()} online"
        template = page_url + "/pages/{pageNumber}?maxWidth={maxWidth}"
        _link(entry, REL_STREAM, template, "image/jpeg", title=title, **count)


def _dublin_core(entry: ET.Element, item: Entry) -> None:
    book = item.book
    if book.language:
        _el(entry, f"{{{DC}}}language", book.language)
    for isbn in (book.isbn13, book.isbn10):
        if isbn:
            _el(entry, f"{{{DC}}}identifier", f"urn:isbn:{isbn}")
    if book.publisher:
        _el(entry, f"{{{DC}}}publisher", book.publisher)
    if book.published_year and 0 < book.published_year < 10000:
        _el(entry, f"{{{DC}}}issued", f"{book.published_year:04d}")


def opensearch_description(urls: Urls) -> bytes:
    root = ET.Element("OpenSearchDescription")
    _el(root, "ShortName", "Bookshelf")
    _el(root, "Description", "Search the library")
    _el(root, "InputEncoding", "UTF-8")
    _el(root, "OutputEncoding", "UTF-8")
    # Only {searchTerms}: KOReader replaces that one and would send any other placeholder literally.
    _el(root, "Url", type=ACQUISITION, template=urls("/opds/search") + "?q={searchTerms}")
    return serialize(root, OPENSEARCH)
