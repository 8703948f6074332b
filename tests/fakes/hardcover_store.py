"""The fake Hardcover's data: catalogue, the user's library, and resolvers over them."""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Callable
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo

from tests.fakes.common import example
from tests.fakes.hardcover_search import book_from_document, search

_COMPARISONS = {"_eq", "_neq", "_in", "_nin", "_gt", "_gte", "_lt", "_lte", "_is_null"}


def value_of(row: dict[str, Any], key: str) -> Any:
    value = row.get(key)
    return value() if callable(value) else value


def matches(row: dict[str, Any], where: dict[str, Any]) -> bool:
    """Hasura ``where``: _and/_or/_not, comparisons, and nested relations (any row of a list)."""
    for key, cond in where.items():
        if key == "_and":
            ok = all(matches(row, w) for w in cond)
        elif key == "_or":
            ok = any(matches(row, w) for w in cond)
        elif key == "_not":
            ok = not matches(row, cond)
        elif isinstance(cond, dict) and cond and set(cond) <= _COMPARISONS:
            ok = _compare(value_of(row, key), cond)
        else:
            related = value_of(row, key)
            if isinstance(related, list):
                ok = any(matches(r, cond) for r in related)
            else:
                ok = isinstance(related, dict) and matches(related, cond)
        if not ok:
            return False
    return True


def _compare(value: Any, cond: dict[str, Any]) -> bool:
    return all(_compare_one(value, op, arg) for op, arg in cond.items())


def _compare_one(value: Any, op: str, arg: Any) -> bool:
    if op == "_eq":
        return value == arg
    if op == "_neq":
        return value != arg
    if op == "_in":
        return value in (arg or [])
    if op == "_nin":
        return value not in (arg or [])
    if op == "_is_null":
        return (value is None) == bool(arg)
    if value is None:
        return False
    return {"_gt": value > arg, "_gte": value >= arg, "_lt": value < arg,
            "_lte": value <= arg}[op]


def select(rows: list[dict[str, Any]], args: dict[str, Any], *, default_desc: bool = False
           ) -> list[dict[str, Any]]:
    """Apply where / order_by / offset / limit to a list of rows."""
    if args.get("where"):
        rows = [r for r in rows if matches(r, args["where"])]
    orders = args.get("order_by")
    if orders:
        for order in reversed(orders if isinstance(orders, list) else [orders]):
            for key, direction in reversed(list(order.items())):
                rows = sorted(rows, key=lambda r, k=key: (value_of(r, k) is None, value_of(r, k)
                                                          or 0),
                              reverse=str(direction).startswith("desc"))
    elif default_desc:  # Hasura does not keep the order of an _in list; neither do we
        rows = sorted(rows, key=lambda r: -int(r.get("id") or 0))
    offset = args.get("offset") or 0
    limit = args.get("limit")
    return rows[offset:offset + limit if limit is not None else None]


class Store:
    """Catalogue (books with editions) plus per-user user_books and user_book_reads."""

    def __init__(self, books: list[dict[str, Any]], users: list[dict[str, Any]]) -> None:
        self.books = {b["id"]: b for b in books}
        self.users = {u["id"]: u for u in users}
        self.user_books: dict[int, dict[str, Any]] = {}
        self.user_book_reads: dict[int, dict[str, Any]] = {}
        self._next_user_book = 9876543
        self._next_read = 5550123
        # Switches for the [UNCERTAIN] behaviours of PROVIDERS.md §5.
        self.duplicate_insert = "upsert"  # or "error"
        self.status2_creates_read = False
        self.clear_omitted_read_fields = False
        self.null_user_book_read = False
        self.mutation_errors: deque[str] = deque()  # next mutations answer with these errors
        self.today = "2026-09-14"
        for user in self.users.values():
            user["user_books"] = self._user_books_of(user["id"])

    # ---- linking rows -------------------------------------------------------------------
    def _user_books_of(self, user_id: int) -> Callable[[], list[dict[str, Any]]]:
        return lambda: [ub for ub in self.user_books.values() if ub["user_id"] == user_id]

    def _reads_of(self, user_book_id: int) -> Callable[[], list[dict[str, Any]]]:
        return lambda: [r for r in self.user_book_reads.values()
                        if r["user_book_id"] == user_book_id]

    def editions(self) -> list[dict[str, Any]]:
        return [e for b in self.books.values() for e in b.get("editions", [])]

    def edition(self, edition_id: int | None) -> dict[str, Any] | None:
        return next((e for e in self.editions() if e["id"] == edition_id), None)

    # ---- queries ------------------------------------------------------------------------
    def resolve_root(self, user_id: int, name: str, args: dict[str, Any],
                     info: GraphQLResolveInfo) -> Any:
        if name == "me":
            return select([self.users[user_id]], args)
        if name == "books":
            return select(list(self.books.values()), args, default_desc=True)
        if name == "books_by_pk":
            return self.books.get(args["id"])
        if name == "editions":
            return select(self.editions(), args, default_desc=True)
        if name == "editions_by_pk":
            return self.edition(args["id"])
        if name == "user_books":
            return select(self._user_books_of(user_id)(), args)
        if name == "user_book_reads":
            mine = {ub["id"] for ub in self._user_books_of(user_id)()}
            reads = [r for r in self.user_book_reads.values() if r["user_book_id"] in mine]
            return select(reads, args)
        if name == "search":
            return search(list(self.books.values()), args)
        mutation = getattr(self, f"m_{name}", None)
        if mutation is None:
            raise GraphQLError(f"the fake Hardcover does not implement {name}")
        if self.mutation_errors:
            return {"id": None, "error": self.mutation_errors.popleft(), "user_book": None,
                    "user_book_read": None}
        return mutation(user_id, **args)

    # ---- mutations (payload shapes of UserBookIdType / UserBookReadIdType) ---------------
    def _mine(self, user_id: int, user_book_id: int) -> dict[str, Any] | None:
        row = self.user_books.get(user_book_id)
        return row if row is not None and row["user_id"] == user_id else None

    def m_insert_user_book(self, user_id: int, object: dict[str, Any]) -> dict[str, Any]:
        if object["book_id"] not in self.books:
            return {"id": None, "error": "Book not found", "user_book": None}
        existing = next((ub for ub in self._user_books_of(user_id)()
                         if ub["book_id"] == object["book_id"]), None)
        if existing is not None:
            if self.duplicate_insert == "error":
                return {"id": None, "error": "Book already in library", "user_book": None}
            return self.m_update_user_book(user_id, existing["id"],
                                           {k: v for k, v in object.items() if k != "book_id"})
        ub_id = self._next_user_book
        self._next_user_book += 1
        row = {"id": ub_id, "user_id": user_id, "book_id": object["book_id"], "status_id": 1,
               "edition_id": None, "rating": None, "privacy_setting_id": 1,
               "date_added": self.today, "last_read_date": None,
               "user_book_reads": self._reads_of(ub_id)}
        row.update(object)
        self.user_books[ub_id] = row
        self._maybe_start_read(row)
        return {"id": ub_id, "error": None, "user_book": row}

    def m_update_user_book(self, user_id: int, id: int, object: dict[str, Any]) -> dict[str, Any]:
        row = self._mine(user_id, id)
        if row is None:
            return {"id": None, "error": "User book not found", "user_book": None}
        before = row.get("status_id")
        row.update(object)
        if object.get("status_id") == 3:
            row["last_read_date"] = row.get("last_read_date") or self.today
        if before != 2:
            self._maybe_start_read(row)
        return {"id": id, "error": None, "user_book": row}

    def _maybe_start_read(self, row: dict[str, Any]) -> None:
        if self.status2_creates_read and row.get("status_id") == 2 and not any(
                r["finished_at"] is None for r in self._reads_of(row["id"])()):
            self._new_read(row["id"], {"started_at": self.today, "edition_id": row["edition_id"]})

    def m_delete_user_book(self, user_id: int, id: int) -> dict[str, Any]:
        row = self._mine(user_id, id)
        if row is None:
            return {"id": None, "book_id": None, "user_id": None, "user_book": None}
        del self.user_books[id]
        for read_id in [r["id"] for r in self._reads_of(id)()]:
            del self.user_book_reads[read_id]
        return {"id": id, "book_id": row["book_id"], "user_id": user_id, "user_book": None}

    def m_insert_user_book_read(self, user_id: int, user_book_id: int,
                                user_book_read: dict[str, Any]) -> dict[str, Any]:
        if self._mine(user_id, user_book_id) is None:
            return {"id": None, "error": "User book not found", "user_book_read": None}
        read = self._new_read(user_book_id, user_book_read)
        return {"id": read["id"], "error": None, "user_book_read": read}

    def _new_read(self, user_book_id: int, values: dict[str, Any]) -> dict[str, Any]:
        read_id = self._next_read
        self._next_read += 1
        read = {"id": read_id, "user_book_id": user_book_id, "started_at": None,
                "finished_at": None, "paused_at": None, "progress": None, "progress_pages": None,
                "progress_seconds": None, "edition_id": None, "finished_at_precision": None}
        read.update({k: v for k, v in values.items() if k not in ("id", "action")})
        self.user_book_reads[read_id] = read
        self._recompute(read)
        return read

    def m_update_user_book_read(self, user_id: int, id: int,
                                object: dict[str, Any]) -> dict[str, Any]:
        read = self.user_book_reads.get(id)
        if read is None or self._mine(user_id, read["user_book_id"]) is None:
            return {"id": None, "error": "User book read not found", "user_book_read": None}
        if self.clear_omitted_read_fields:
            for key in ("started_at", "finished_at", "progress_pages", "progress_seconds",
                        "edition_id"):
                read[key] = None
        read.update({k: v for k, v in object.items() if k not in ("id", "action")})
        self._recompute(read)
        return {"id": id, "error": None,
                "user_book_read": None if self.null_user_book_read else read}

    def m_delete_user_book_read(self, user_id: int, id: int) -> dict[str, Any]:
        read = self.user_book_reads.get(id)
        if read is None or self._mine(user_id, read["user_book_id"]) is None:
            return {"id": None, "error": "User book read not found", "user_book_read": None}
        del self.user_book_reads[id]
        return {"id": id, "error": None, "user_book_read": None}

    def _recompute(self, read: dict[str, Any]) -> None:
        """progress = progress_pages / edition pages * 100 (read-only on the real service)."""
        user_book = self.user_books[read["user_book_id"]]
        edition = self.edition(read.get("edition_id") or user_book.get("edition_id"))
        pages = (edition or {}).get("pages") or self.books[user_book["book_id"]].get("pages")
        if read.get("progress_pages") is not None and pages:
            read["progress"] = round(min(100.0, read["progress_pages"] / pages * 100), 2)
        else:
            read["progress"] = None


def default_books() -> list[dict[str, Any]]:
    """Dune (from the book-details example) and Dune Messiah (from the search example)."""
    dune = example("hardcover_book_details.json")["data"]["books_by_pk"]
    dune["compilation"] = False
    for edition in dune["editions"]:
        edition["book_id"] = dune["id"]
        edition["users_count"] = 100 - edition["id"] % 100
        edition["language"] = {"code2": "en", "code3": "eng", "language": "English"}
    for row in dune["book_series"]:
        row["compilation"] = False
    messiah_doc = example("hardcover_search.json")["data"]["search"]["results"]["hits"][1]
    return [dune, book_from_document(messiah_doc["document"])]


def default_user() -> dict[str, Any]:
    return copy.deepcopy(example("hardcover_me.json")["data"]["me"][0])
