"""The fake Hardcover's ``search``: Typesense-shaped hits built from the catalogue's books."""

from __future__ import annotations

from typing import Any

_LANGUAGES = {"en": {"code3": "eng", "language": "English"},
              "fr": {"code3": "fre", "language": "French"},
              "de": {"code3": "ger", "language": "German"}}


def make_book(id: int, title: str, authors: list[str] | None = None, *,
              subtitle: str | None = None, isbn13: str | None = None, isbn10: str | None = None,
              pages: int | None = None, year: int | None = None, series: str | None = None,
              series_position: float | None = None, genres: list[str] | None = None,
              cover_url: str | None = None, description: str | None = None,
              users_count: int = 10, edition_id: int | None = None,
              publisher: str | None = None, language: str = "en") -> dict[str, Any]:
    """A catalogue book in the shape ``books_by_pk`` selects, with one edition."""
    image = {"url": cover_url} if cover_url else None
    edition = {"id": edition_id or id * 100 + 1, "book_id": id, "title": title,
               "isbn_10": isbn10, "isbn_13": isbn13, "pages": pages,
               "release_date": f"{year}-01-01" if year else None, "release_year": year,
               "edition_format": "Paperback", "reading_format_id": 1, "users_count": users_count,
               "publisher": {"name": publisher} if publisher else None,
               "language": {"code2": language, **_LANGUAGES.get(language, _LANGUAGES["en"])},
               "image": image}
    return {
        "id": id, "title": title, "subtitle": subtitle, "slug": title.lower().replace(" ", "-"),
        "description": description, "release_year": year,
        "release_date": f"{year}-01-01" if year else None, "pages": pages, "rating": None,
        "users_count": users_count, "compilation": False,
        "cached_image": {"url": cover_url} if cover_url else {},
        "cached_tags": {"Genre": [{"tag": g, "category": "Genre"} for g in genres or []]},
        "contributions": [{"contribution": None,
                           "author": {"id": 1000 + n, "name": a, "slug": a.lower()}}
                          for n, a in enumerate(authors or [])],
        "book_series": ([{"position": series_position, "details": str(series_position),
                          "featured": True, "compilation": False,
                          "series": {"id": 77, "name": series, "slug": series.lower()}}]
                        if series else []),
        "editions": [edition],
    }


def book_from_document(doc: dict[str, Any]) -> dict[str, Any]:
    """A catalogue book from a captured search document (used for Dune Messiah)."""
    isbns = doc.get("isbns") or []
    book = make_book(int(doc["id"]), doc["title"], doc.get("author_names"),
                     isbn13=next((i for i in isbns if len(i) == 13), None),
                     isbn10=next((i for i in isbns if len(i) == 10), None),
                     pages=doc.get("pages"), year=doc.get("release_year"),
                     genres=doc.get("genres"), description=doc.get("description"),
                     users_count=doc.get("users_count", 0))
    featured = doc.get("featured_series") or {}
    if featured:
        book["book_series"] = [{**featured, "compilation": False}]
    book["release_date"] = doc.get("release_date")
    book["slug"] = doc.get("slug")
    book["alternative_titles"] = doc.get("alternative_titles", [])
    return book


def document(book: dict[str, Any]) -> dict[str, Any]:
    """The search document for a book: string id, {} for no image or series, absent keys."""
    authors = [c["author"]["name"] for c in book.get("contributions", [])
               if c.get("contribution") in (None, "Author")]
    featured = next((s for s in book.get("book_series", []) if s.get("featured")), None)
    isbns = [i for e in book.get("editions", []) for i in (e.get("isbn_13"), e.get("isbn_10"))
             if i]
    doc: dict[str, Any] = {
        "id": str(book["id"]), "title": book.get("title"), "slug": book.get("slug"),
        "description": book.get("description"), "author_names": authors,
        "contribution_types": ["Author" for _ in authors],
        "contributions": [{"author": c["author"], "contribution": c.get("contribution")}
                          for c in book.get("contributions", [])],
        "isbns": isbns, "release_year": book.get("release_year"),
        "release_date": book.get("release_date"), "image": book.get("cached_image") or {},
        "genres": [t["tag"] for t in (book.get("cached_tags") or {}).get("Genre", [])][:5],
        "featured_series": featured or {},
        "featured_series_position": featured.get("position") if featured else None,
        "series_names": [s["series"]["name"] for s in book.get("book_series", [])],
        "alternative_titles": book.get("alternative_titles", []),
        "users_count": book.get("users_count", 0), "compilation": False, "moods": [],
        "tags": [], "content_warnings": [],
    }
    if book.get("subtitle"):  # absent, not null, when unknown
        doc["subtitle"] = book["subtitle"]
    if book.get("pages"):
        doc["pages"] = book["pages"]
    return doc


def _haystack(doc: dict[str, Any]) -> str:
    parts = [doc.get("title") or "", *doc["author_names"], *doc["series_names"],
             *doc["alternative_titles"]]
    return " ".join(parts).casefold()


def search(books: list[dict[str, Any]], args: dict[str, Any]) -> dict[str, Any]:
    query = args["query"]
    per_page = args.get("per_page") or 25
    page = args.get("page") or 1
    query_type = args.get("query_type") or "book"
    docs = [document(b) for b in books]
    wanted = query.replace("-", "").strip()
    if query_type.lower() != "book":
        hits: list[dict[str, Any]] = []
    elif any(wanted in d["isbns"] for d in docs):  # ISBNs match exactly, no typos
        hits = [d for d in docs if wanted in d["isbns"]]
    else:
        tokens = query.casefold().split()
        hits = [d for d in docs if tokens and all(t in _haystack(d) for t in tokens)]
    # Rank: exact title first, then popularity (the documented default sort).
    hits.sort(key=lambda d: (-(d["title"] or "").casefold().startswith(query.casefold()),
                             (d["title"] or "").casefold() != query.casefold(),
                             -d["users_count"]))
    shown = hits[(page - 1) * per_page: page * per_page]
    return {
        "error": None, "ids": [int(d["id"]) for d in shown], "page": page, "per_page": per_page,
        "query": query, "query_type": query_type,
        "results": {
            "facet_counts": [], "found": len(hits), "out_of": 1820785, "page": page,
            "request_params": {"collection_name": "Book_production_1738093885",
                               "per_page": per_page, "q": query},
            "search_cutoff": False, "search_time_ms": 1,
            "hits": [{"document": d, "highlight": {}, "highlights": [], "text_match": 1,
                      "text_match_info": {}} for d in shown],
        },
    }
