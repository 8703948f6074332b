"""OPDS 1.2 catalog routes: Basic auth on every URL, short handlers, Atom rendered by opds_xml."""

from __future__ import annotations

import base64
import binascii
import zlib
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bookshelf import clock
from bookshelf.errors import BookshelfError, InvalidInput, NotFound, RateLimited, Unauthorized
from bookshelf.models import BookFilter, CatalogState
from bookshelf.services.library.catalog import ACQUISITION_TYPES, CatalogService, Entry
from bookshelf.services.library.page_stream import image_type
from bookshelf.web import opds_xml as xml
from bookshelf.web.download import download_response
from bookshelf.web.http import path_uuid, query_choice, query_text
from bookshelf.web.middleware import client_address
from bookshelf.web.opds_xml import ACQUISITION, NAVIGATION, Facet, FeedInfo, NavEntry
from bookshelf.web.paging import IMAGE_WIDTH, MAX_PAGE, WholeNumber, whole_number
from bookshelf.web.routing import Endpoint, Handler, path_param, query_param
from bookshelf.web.schemas import (
    FILE_HEADERS,
    IF_NONE_MATCH,
    IMAGE_HEADERS,
    NOT_MODIFIED,
    PARTIAL_HEADERS,
    RANGE_PARAMS,
    UNSATISFIABLE_HEADERS,
    header,
    with_headers,
)

CHALLENGE = 'Basic realm="bookshelf", charset="UTF-8"'
NAV_TITLES = {"authors": "Authors", "genres": "Genres", "series": "Series"}
# /opds/all?sort=: facet key -> (label, library sort)
ALL_SORTS = {"title": ("Title", "title_asc"), "author": ("Author", "author_asc"), "new": ("Newest", "organized_newest")}
FEED_SORT = {"authors": "title_asc", "genres": "title_asc", "series": "series_index"}


# -- auth ---------------------------------------------------------------------------------


async def authenticate(request: Request) -> None:
    """Basic credentials checked against the accounts' opds credentials; failures are counted per address."""
    rt = request.app.state.runtime
    address = client_address(request.scope)
    presented = _basic_credentials(request.headers.get("authorization"))
    wait = rt.auth_limiter.retry_after(address)
    # A reader app signed in recently keeps working while a guesser on its address waits.
    if wait is not None and not (presented and rt.credentials.remembered("opds", *presented)):
        raise RateLimited("Too many failed sign-ins; try again later", wait)
    if presented is None:
        if "authorization" in request.headers:
            rt.auth_limiter.fail(address)
        raise Unauthorized("Sign in with the OPDS user name and password", headers={"WWW-Authenticate": CHALLENGE})
    user_id = await rt.credentials.verify_password("opds", *presented)
    if user_id is None:
        rt.auth_limiter.fail(address)
        raise Unauthorized("Wrong OPDS user name or password", headers={"WWW-Authenticate": CHALLENGE})
    # The catalog is the same library for every account; whose app this is, is known all the same.
    request.scope["bookshelf.opds_user"] = user_id


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or header[:6].lower() != "basic ":
        return None
    try:
        raw = base64.b64decode(header[6:].strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:  # old clients send Latin-1
        text = raw.decode("latin-1")
    user, sep, password = text.partition(":")
    return (user, password) if sep else None


def guarded(handler: Handler) -> Handler:
    async def run(request: Request) -> Response:
        await authenticate(request)
        return await handler(request)

    run.__name__ = handler.__name__
    return run


def cached(handler: Handler) -> Handler:
    """Serve a feed rendered earlier for the same URL while the catalog's generation is unchanged."""

    async def run(request: Request) -> Response:
        catalog = _catalog(request)
        state = await catalog.state()
        user = _user(request)
        url = f"{_urls(request).base}|{request.url.path}?{request.url.query}"
        # Entries of streamed books carry the account's page (pse:lastRead), so a feed with one is
        # kept per account and its positions; any other feed is the same whatever the account reads,
        # and a KOReader syncing an EPUB every few seconds no longer throws it away.
        hit = catalog.rendered.get(state.generation, f"{user}|any|{url}")
        if hit is not None:
            return _feed(hit[0], hit[1], state)
        mark = await catalog.reading_mark(user)  # read before rendering: never newer than the feed
        hit = catalog.rendered.get(state.generation, f"{user}|{mark}|{url}")
        if hit is not None:
            return _feed(hit[0], hit[1], state)
        response = await handler(request)
        if response.status_code == 200:
            body = bytes(response.body)
            positional = xml.REL_STREAM.encode() in body
            media_type = response.headers["content-type"].split("; charset", 1)[0]
            catalog.rendered.put(state.generation, f"{user}|{mark if positional else 'any'}|{url}", body, media_type)
        return response

    run.__name__ = handler.__name__
    return run


def error_response(request: Request, exc: BookshelfError) -> Response:
    """/opds errors as short plain text; a 401 always carries the Basic challenge."""
    headers = dict(exc.headers)
    if exc.status == 401:
        headers["WWW-Authenticate"] = CHALLENGE
    return PlainTextResponse(exc.message, status_code=exc.status, headers=headers)


# -- helpers --------------------------------------------------------------------------------


def _catalog(request: Request) -> CatalogService:
    catalog: CatalogService = request.app.state.runtime.catalog
    return catalog


def _user(request: Request) -> str:
    return str(request.scope["bookshelf.opds_user"])


async def _read(request: Request, entries: list[Entry]) -> list[Entry]:
    return await _catalog(request).with_last_read(_user(request), entries)


def _urls(request: Request) -> xml.Urls:
    return xml.Urls(request.url.scheme, request.url.netloc, request.scope.get("root_path", ""))


def _page(request: Request) -> int:
    return FEED_PAGE.parse(request)


def _id(request: Request, name: str) -> int:
    raw = request.path_params[name]
    if not raw.isdigit() or len(raw) > 18:
        raise NotFound("No such entry")
    return int(raw)


def _feed(body: bytes, media_type: str, state: CatalogState) -> Response:
    """A feed whose Last-Modified and ETag move with every catalog change."""
    changed = xml.rfc3339(state.changed_at, "")
    headers = {
        "Last-Modified": format_datetime(clock.parse_iso(changed), usegmt=True),
        # The body's checksum, not its length: a page read moves pse:lastRead by a digit or none.
        "ETag": f'W/"opds-{state.generation}-{zlib.crc32(body):08x}"',
        "Cache-Control": "private, no-cache",
    }
    return Response(body, media_type=f"{media_type}; charset=utf-8", headers=headers)


# -- handlers ---------------------------------------------------------------------------------


async def root(request: Request) -> Response:
    catalog = _catalog(request)
    totals, state = await catalog.totals(), await catalog.state()
    entries = [
        NavEntry("urn:bookshelf:opds:all", "All books", f"{totals['books']} books by title", "/opds/all", ACQUISITION),
        NavEntry("urn:bookshelf:opds:new", "New arrivals", "Most recently added first", "/opds/new", ACQUISITION,
                 rel="http://opds-spec.org/sort/new"),
        NavEntry("urn:bookshelf:opds:authors", "Authors", f"{totals['authors']} authors", "/opds/authors", NAVIGATION),
        NavEntry("urn:bookshelf:opds:genres", "Genres", f"{totals['genres']} genres", "/opds/genres", NAVIGATION),
        NavEntry("urn:bookshelf:opds:series", "Series", f"{totals['series']} series", "/opds/series", NAVIGATION),
    ]  # fmt: skip
    info = FeedInfo("urn:bookshelf:opds:root", "Bookshelf", "/opds", NAVIGATION, up=None)
    return _feed(xml.navigation_feed(_urls(request), info, state, entries), NAVIGATION, state)


async def all_books(request: Request) -> Response:
    chosen = query_choice(request, "sort", tuple(ALL_SORTS), "title") or "title"
    query = {} if chosen == "title" else {"sort": chosen}
    facets = [Facet("Sort by", label, "/opds/all", {} if key == "title" else {"sort": key}, key == chosen)
              for key, (label, _) in ALL_SORTS.items()]  # fmt: skip
    info = FeedInfo("urn:bookshelf:opds:all", "All books", "/opds/all", ACQUISITION, query=query, facets=facets)
    return await _books(request, info, ALL_SORTS[chosen][1])


async def new_books(request: Request) -> Response:
    info = FeedInfo("urn:bookshelf:opds:new", "New arrivals", "/opds/new", ACQUISITION)
    return await _books(request, info, "organized_newest")


async def _books(request: Request, info: FeedInfo, sort: str, flt: BookFilter | None = None) -> Response:
    catalog = _catalog(request)
    page = await catalog.books(_page(request), sort, flt)
    page.items = await _read(request, page.items)
    state = await catalog.state()
    return _feed(xml.acquisition_feed(_urls(request), info, state, page), ACQUISITION, state)


def _nav_list(table: str) -> Handler:
    async def handler(request: Request) -> Response:
        catalog = _catalog(request)
        page = await catalog.nav(table, _page(request))
        state = await catalog.state()
        info = FeedInfo(f"urn:bookshelf:opds:{table}", NAV_TITLES[table], f"/opds/{table}", NAVIGATION)
        body = xml.navigation_feed(_urls(request), info, state, xml.nav_entries(table, page.items), page)
        return _feed(body, NAVIGATION, state)

    handler.__name__ = f"{table}_list"
    return handler


def _nav_books(table: str, param: str) -> Handler:
    async def handler(request: Request) -> Response:
        item_id = _id(request, param)
        name = await _catalog(request).name_of(table, item_id)
        singular = {"authors": "author", "genres": "genre", "series": "series"}[table]
        flt = BookFilter.of_nav(table, item_id)
        info = FeedInfo(f"urn:bookshelf:{singular}:{item_id}", name, f"/opds/{table}/{item_id}", ACQUISITION,
                        up=f"/opds/{table}")  # fmt: skip
        return await _books(request, info, FEED_SORT[table], flt)

    handler.__name__ = f"{table}_books"
    return handler


async def search(request: Request) -> Response:
    query = query_text(request, "q")
    urls = _urls(request)
    if query is None:
        return Response(xml.opensearch_description(urls), media_type=f"{xml.OPENSEARCH_TYPE}; charset=utf-8")
    catalog = _catalog(request)
    page = await catalog.search(query, _page(request))
    page.items = await _read(request, page.items)
    state = await catalog.state()
    title = f"Search: {query.strip()}" if query.strip() else "Search"
    info = FeedInfo("urn:bookshelf:opds:search:" + quote(query.strip(), safe=""), title, "/opds/search",
                    ACQUISITION, query={"q": query})  # fmt: skip
    return _feed(xml.acquisition_feed(urls, info, state, page), ACQUISITION, state)


async def book(request: Request) -> Response:
    entry = (await _read(request, [await _catalog(request).entry(_book_id(request))]))[0]
    state = await _catalog(request).state()
    return _feed(xml.entry_document(_urls(request), entry), xml.ENTRY, state)


def _book_id(request: Request) -> str:
    try:
        return path_uuid(request, "id")
    except InvalidInput:
        raise NotFound("Book not found") from None


def _artwork(thumb: bool) -> Handler:
    async def handler(request: Request) -> Response:
        art = await _catalog(request).artwork(_book_id(request), thumb)
        if request.headers.get("if-none-match") == art.etag:
            return Response(status_code=304, headers={"ETag": art.etag})
        try:
            data = art.path.read_bytes()
        except OSError:
            raise NotFound("Cover not found") from None
        headers = {"ETag": art.etag, "Cache-Control": "private, max-age=86400"}
        return Response(data, media_type=art.media_type, headers=headers)

    handler.__name__ = "thumbnail" if thumb else "cover"
    return handler


async def download(request: Request) -> Response:
    catalog = _catalog(request)
    file_id = _file_id(request)
    path, filename, ascii_name, media_type = await catalog.download(_book_id(request), file_id)
    response = download_response(request, path, filename, media_type, ascii_name)
    if request.method == "GET" and response.status_code == 200:
        await catalog.remember_served_names(file_id, sorted({filename, ascii_name}), clock.now_iso())
    return response


def _file_id(request: Request) -> str:
    try:
        return path_uuid(request, "fileId")
    except InvalidInput:
        raise NotFound("File not found") from None


async def stream_page(request: Request) -> Response:
    index = _page_index(request)
    max_width = IMAGE_WIDTH.parse(request) or None
    path, file = await _catalog(request).stream_file(_book_id(request))
    data = await request.app.state.runtime.pages.page(path, file, index, max_width)
    return Response(data, media_type=image_type(data), headers={"Cache-Control": "private, max-age=86400"})


async def unknown(request: Request) -> Response:
    raise NotFound("No such OPDS page")


def _page_index(request: Request) -> int:
    return whole_number("n", request.path_params["n"], 0, 999_999_999)


# -- the routing table --------------------------------------------------------------------------

FEED = {"content": {NAVIGATION: {"schema": {"type": "string"}}}}
ACQ = {"content": {ACQUISITION: {"schema": {"type": "string"}}}}
TEXT = {"content": {"text/plain": {"schema": {"type": "string"}}}}
BINARY = {"type": "string", "format": "binary"}
IMAGES = {"content": {t: {"schema": BINARY} for t in ("image/jpeg", "image/png", "image/gif")}}
BOOK_TYPES = {"content": {t: {"schema": BINARY} for t in dict.fromkeys(ACQUISITION_TYPES.values())}}
FEED_PAGE = WholeNumber("page", 1, 1, MAX_PAGE, "Page number (50 entries a page)")
PAGE = FEED_PAGE.param()
ERRORS: dict[int, Any] = {
    401: with_headers(TEXT, {"WWW-Authenticate": header(CHALLENGE)}),
    429: with_headers(TEXT, {"Retry-After": header("Seconds to wait")}),
}
PAGED_ERRORS: dict[int, Any] = {400: TEXT, **ERRORS}


def _ep(path: str, handler: Handler, summary: str, responses: dict[int, Any], **extra: Any) -> Endpoint:
    return Endpoint("GET", path, guarded(handler), summary, "opds", responses=responses, **extra)


def _feed_ep(path: str, handler: Handler, summary: str, responses: dict[int, Any], **extra: Any) -> Endpoint:
    return _ep(path, cached(handler), summary, responses, **extra)


def _id_param(name: str, what: str) -> dict[str, Any]:
    return path_param(name, what, schema={"type": "integer", "minimum": 1})


ENDPOINTS = [
    _feed_ep("/opds", root, "Root navigation feed", {200: FEED, **ERRORS}),
    _feed_ep("/opds/", root, "Root navigation feed (same as /opds)", {200: FEED, **ERRORS}, in_spec=False),
    _feed_ep("/opds/all", all_books, "All books, by title unless sorted otherwise", {200: ACQ, **PAGED_ERRORS},
             params=(PAGE, query_param("sort", {"type": "string", "enum": list(ALL_SORTS), "default": "title"},
                                       "Order (offered to clients as facets)"))),
    _feed_ep("/opds/new", new_books, "Newest books first", {200: ACQ, **PAGED_ERRORS}, params=(PAGE,)),
    _feed_ep("/opds/search", search, "OpenSearch description, or results with q",
        {200: {"content": {xml.OPENSEARCH_TYPE: {"schema": {"type": "string"}}, ACQUISITION: {"schema": {
            "type": "string"}}}}, **PAGED_ERRORS},
        params=(query_param("q", {"type": "string", "maxLength": 500}, "Search words"), PAGE)),
    *(ep for table, param in (("authors", "authorId"), ("genres", "genreId"), ("series", "seriesId")) for ep in (
        _feed_ep(f"/opds/{table}", _nav_list(table), f"{NAV_TITLES[table]} with book counts",
                 {200: FEED, **PAGED_ERRORS}, params=(PAGE,)),
        _feed_ep(f"/opds/{table}/{{{param}}}", _nav_books(table, param), f"Books of one of the {table}",
            {200: ACQ, 404: TEXT, **PAGED_ERRORS}, params=(_id_param(param, "Its id"), PAGE)),
    )),
    _feed_ep("/opds/books/{id}", book, "Complete entry of one book",
        {200: {"content": {xml.ENTRY: {"schema": {"type": "string"}}}}, 404: TEXT, **ERRORS},
        params=(path_param("id", "Book id"),)),
    _ep("/opds/books/{id}/cover", _artwork(False), "Cover image", {200: with_headers(IMAGES, IMAGE_HEADERS),
        304: NOT_MODIFIED, 404: TEXT, **ERRORS}, params=(path_param("id", "Book id"), IF_NONE_MATCH)),
    _ep("/opds/books/{id}/thumbnail", _artwork(True), "Small cover image", {200: with_headers(IMAGES,
        IMAGE_HEADERS), 304: NOT_MODIFIED, 404: TEXT, **ERRORS}, params=(path_param("id", "Book id"),
        IF_NONE_MATCH)),
    _ep("/opds/books/{id}/download/{fileId}", download, "Download a book file (byte ranges supported)",
        {200: with_headers(BOOK_TYPES, FILE_HEADERS), 206: with_headers(BOOK_TYPES, PARTIAL_HEADERS),
         304: NOT_MODIFIED, 404: TEXT, 416: with_headers(TEXT, UNSATISFIABLE_HEADERS), **ERRORS},
        params=(path_param("id", "Book id"), path_param("fileId", "File id"), *RANGE_PARAMS)),
    _ep("/opds/books/{id}/pages/{n}", stream_page, "One page as an image (OPDS Page Streaming Extension)",
        {200: IMAGES, 400: TEXT, 404: TEXT, **ERRORS},
        params=(path_param("id", "Book id"), path_param("n", "Page number from 0", schema={"type": "integer",
                "minimum": 0}), IMAGE_WIDTH.param())),
    # Last: any other /opds URL is a 404, but only to a signed-in client.
    _ep("/opds/{rest:path}", unknown, "Unknown OPDS URL", {404: TEXT, **ERRORS}, in_spec=False),
]  # fmt: skip
