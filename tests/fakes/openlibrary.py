"""A fake Open Library (PROVIDERS.md §4.4): search.json, the /isbn redirect, records and covers."""

from __future__ import annotations

import asyncio
import copy
import io
import zlib
from functools import cache
from typing import Any

from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.fakes.common import FakeBase, FakeClock, Fault, example, example_text


@cache
def tiny_jpeg(color: tuple[int, int, int] = (200, 120, 40)) -> bytes:
    """A real 1x1 JPEG, so image sniffing and decoding both work on fake covers."""
    out = io.BytesIO()
    Image.new("RGB", (1, 1), color).save(out, format="JPEG")
    return out.getvalue()


class FakeOpenLibrary(FakeBase):
    """Works, editions, authors and search docs in memory; the covers routes live here too."""

    def __init__(self, *, clock: FakeClock | None = None, covers_limit: int | None = None,
                 redirect_cover_ids: bool = False) -> None:
        super().__init__(clock)
        self.editions: dict[str, dict[str, Any]] = {}
        self.works: dict[str, dict[str, Any]] = {}
        self.authors: dict[str, dict[str, Any]] = {}
        self.docs: list[dict[str, Any]] = []
        self.cover_ids: set[int] = set()
        self.covers_limit = covers_limit  # non-ID cover lookups allowed per 5 minutes
        self.redirect_cover_ids = redirect_cover_ids
        self.slow_new_isbns: dict[str, float] = {}  # isbn -> delay on its first lookup
        self.app = Starlette(routes=[
            Route("/search.json", self.search),
            Route("/isbn/{isbn}.json", self.isbn),
            Route("/books/{olid}.json", self.record_route("editions")),
            Route("/works/{olid}.json", self.record_route("works")),
            Route("/authors/{olid}.json", self.record_route("authors")),
            Route("/b/{key}/{value}-{size}.jpg", self.cover),
            Route("/storage/{cover_id}.jpg", self.stored_cover),
        ])

    @classmethod
    def with_examples(cls, **kwargs: Any) -> FakeOpenLibrary:
        """Dune, as in the example files: one edition, its work and author, two search docs."""
        fake = cls(**kwargs)
        edition = example("openlibrary_edition.json")
        fake.editions["OL26242482M"] = edition
        fake.works["OL893415W"] = example("openlibrary_work.json")
        fake.authors["OL79034A"] = example("openlibrary_author.json")
        fake.docs = example("openlibrary_search.json")["docs"]
        fake.cover_ids = {d["cover_i"] for d in fake.docs} | set(edition["covers"])
        return fake

    @classmethod
    def from_books(cls, books: list[dict[str, Any]], **kwargs: Any) -> FakeOpenLibrary:
        """Build from ``{"title", "authors": [...], "isbn13"?, "isbn10"?, "year"?, "pages"?,
        "cover_id"?, "publisher"?, "language"? ("eng"), "description"?}``."""
        fake = cls(**kwargs)
        for n, book in enumerate(books, start=1):
            fake.add_book(n, book)
        return fake

    def add_book(self, n: int, book: dict[str, Any]) -> None:
        work_id, edition_id = f"OL{9000 + n}W", f"OL{9000 + n}M"
        author_keys = []
        for name in book.get("authors", []):
            author_id = f"OL{zlib.crc32(name.encode()) % 100000}A"
            self.authors[author_id] = {"key": f"/authors/{author_id}", "name": name}
            author_keys.append(author_id)
        work: dict[str, Any] = {"key": f"/works/{work_id}", "title": book["title"],
                                "authors": [{"author": {"key": f"/authors/{a}"}}
                                            for a in author_keys]}
        if book.get("description"):
            work["description"] = book["description"]
        self.works[work_id] = work
        edition: dict[str, Any] = {"key": f"/books/{edition_id}", "title": book["title"],
                                   "authors": [{"key": f"/authors/{a}"} for a in author_keys],
                                   "works": [{"key": f"/works/{work_id}"}]}
        for field, key in (("isbn13", "isbn_13"), ("isbn10", "isbn_10")):
            if book.get(field):
                edition[key] = [book[field]]
        if book.get("publisher"):
            edition["publishers"] = [book["publisher"]]
        if book.get("year"):
            edition["publish_date"] = str(book["year"])
        if book.get("pages"):
            edition["number_of_pages"] = book["pages"]
        if book.get("cover_id"):
            edition["covers"] = [book["cover_id"]]
            self.cover_ids.add(book["cover_id"])
        edition["languages"] = [{"key": f"/languages/{book.get('language', 'eng')}"}]
        self.editions[edition_id] = edition
        doc = {"key": f"/works/{work_id}", "title": book["title"],
               "author_name": book.get("authors"), "author_key": author_keys or None,
               "first_publish_year": book.get("year"), "cover_i": book.get("cover_id"),
               "number_of_pages_median": book.get("pages"),
               "isbn": [i for i in (book.get("isbn13"), book.get("isbn10")) if i] or None,
               "publisher": [book["publisher"]] if book.get("publisher") else None,
               "language": [book.get("language", "eng")], "edition_count": 1}
        self.docs.append({k: v for k, v in doc.items() if v is not None})

    def fail_unavailable(self, times: int = 1) -> None:
        """503 with an HTML body, as an overloaded Open Library answers."""
        self.fail_next(Fault(503, "<html><body><h1>503 Service Unavailable</h1></body></html>"),
                       times)

    def fail_throttled(self, retry_after: float | None = None, times: int = 1) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self.fail_next(Fault(429, "<html><body>Too Many Requests</body></html>", headers), times)

    def fail_html_as_json(self, times: int = 1) -> None:
        self.fail_next(Fault(200, "<html>oops</html>", content_type="application/json"), times)

    def fail_slow(self, seconds: float, times: int = 1) -> None:
        self.fail_next(Fault(delay=seconds, passthrough=True), times)

    async def _gate(self, request: Request) -> Response | None:
        await self.record(request)
        return await self.take_fault()

    async def search(self, request: Request) -> Response:
        refused = await self._gate(request)
        if refused is not None:
            return refused
        params = request.query_params
        fields = [f for f in params.get("fields", "").split(",") if f]
        limit = int(params.get("limit", "100"))
        page = int(params.get("page", "1"))
        offset = int(params.get("offset") or (page - 1) * limit)
        hits = [d for d in self.docs if _doc_matches(d, params)]
        docs = []
        for doc in hits[offset:offset + limit]:
            shown = doc if not fields or "*" in fields else {k: doc[k] for k in fields if k in doc}
            docs.append(copy.deepcopy(shown))
        body = example("openlibrary_search_empty.json")
        body.update(numFound=len(hits), num_found=len(hits), start=offset, docs=docs,
                    q=params.get("q", ""))
        return JSONResponse(body)

    async def isbn(self, request: Request) -> Response:
        refused = await self._gate(request)
        if refused is not None:
            return refused
        wanted = request.path_params["isbn"].replace("-", "").upper()
        if wanted in self.slow_new_isbns:
            await asyncio.sleep(self.slow_new_isbns.pop(wanted))
        for olid, edition in self.editions.items():
            isbns = edition.get("isbn_10", []) + edition.get("isbn_13", [])
            if wanted in {i.upper() for i in isbns}:
                location = f"/books/{olid}.json"
                if request.url.query:  # the real redirect keeps the query string
                    location += "?" + request.url.query
                return RedirectResponse(location, status_code=302)
        html = example_text("openlibrary_isbn_not_found.html").replace("9780000000002", wanted)
        return Response(html, status_code=404, media_type="text/html; charset=utf-8")

    def record_route(self, kind: str):  # noqa: ANN201 - a Starlette endpoint
        async def endpoint(request: Request) -> Response:
            refused = await self._gate(request)
            if refused is not None:
                return refused
            olid = request.path_params["olid"]
            found = getattr(self, kind).get(olid)
            if found is None:
                return JSONResponse({"error": "notfound", "key": f"/{kind}/{olid}"},
                                    status_code=404)
            return JSONResponse(copy.deepcopy(found))
        return endpoint

    async def cover(self, request: Request) -> Response:
        refused = await self._gate(request)
        if refused is not None:
            return refused
        key = request.path_params["key"].lower()
        value = request.path_params["value"]
        if key != "id" and self.covers_limit is not None:
            window = [r for r in self.requests if r.path.startswith("/b/")
                      and not r.path.startswith("/b/id/") and self.now() - r.at < 300]
            if len(window) > self.covers_limit:
                return Response("Forbidden", status_code=403)
        known = (key == "id" and value.isdigit() and int(value) in self.cover_ids) or (
            key == "isbn" and any(value in e.get("isbn_13", []) + e.get("isbn_10", [])
                                  and e.get("covers") for e in self.editions.values()))
        if not known:
            if request.query_params.get("default") == "false":
                return Response("Not Found", status_code=404)
            return Response(tiny_jpeg((255, 255, 255)), media_type="image/jpeg")  # placeholder
        if key == "id" and self.redirect_cover_ids:
            return RedirectResponse(f"/storage/{value}.jpg", status_code=302)
        return Response(tiny_jpeg(), media_type="image/jpeg")

    async def stored_cover(self, request: Request) -> Response:
        await self.record(request)
        return Response(tiny_jpeg(), media_type="image/jpeg")


def _doc_matches(doc: dict[str, Any], params: Any) -> bool:
    title = (doc.get("title") or "").casefold()
    authors = " ".join(doc.get("author_name") or []).casefold()
    if params.get("title") and not all(w in title for w in params["title"].casefold().split()):
        return False
    if params.get("author") and not all(w in authors
                                        for w in params["author"].casefold().split()):
        return False
    q = params.get("q", "")
    if q.startswith("isbn:"):
        return q[5:].replace("-", "").upper() in {i.upper() for i in doc.get("isbn") or []}
    if q and not all(w in f"{title} {authors}" for w in q.casefold().split()):
        return False
    return bool(params.get("title") or params.get("author") or q)
