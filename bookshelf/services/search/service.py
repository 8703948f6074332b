"""Search: what a reader typed -> a safe FTS5 query with typo corrections -> ranked books.

``q`` means the same everywhere (API.md, Search): words match title, authors,
series and description (title weighs most), accents and case fold, the last
word matches as a prefix, words of 4+ letters may carry one typo and 8+ two,
and exact matches rank above corrected ones. When no book has every word, the
words that match nothing are dropped, then the rightmost ones (books with more
of the words rank first). Plans and their FTS5 expressions (one quoting
function, so no input is FTS syntax) live in :mod:`bookshelf.services.search.plan`.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Hashable
from functools import partial
from typing import Any, TypeVar

from bookshelf.db import Database
from bookshelf.db import books as book_rows
from bookshelf.db import search as sql
from bookshelf.db.library import filter_where
from bookshelf.errors import Unavailable
from bookshelf.models import BOOK_STATUSES, INBOX_STATUSES, Book, BookFilter
from bookshelf.services.search.match_counts import MatchCounts
from bookshelf.services.search.plan import Plan, build_plan, phrase, words_of  # noqa: F401 (re-exported)
from bookshelf.services.search.results import KeptPages
from bookshelf.services.search.snapshots import Snapshots
from bookshelf.services.search.vocabulary import Vocabulary

log = logging.getLogger("bookshelf.search")
T = TypeVar("T")
P = TypeVar("P")  # what a kept page holds: books, suggestions

RANK_LIMIT = 5000  # above this many matches, rank the title/author/series tier only
# Suggestions are eight books for a word still being typed: ranking a thousand prefix matches
# by bm25 costs ~0.9 ms at 100,000 books, listing the newest 0.05 ms. Below this, rank.
SUGGEST_RANK_LIMIT = 300
RESULT_CACHE_SIZE = 64  # result pages of 20 books: about 1 MB
TIMEOUT_SECONDS = 2.0
SUGGEST_STATUSES = ("organized", "review")
_STRONG_COLUMNS = "{title authors series}"


class Scope:
    """Which books a search may return, as a SQL filter joined to the index."""

    def __init__(self, flt: BookFilter, counts: MatchCounts | None = None) -> None:
        self.where, self.params = filter_where(flt)
        self.counts = counts

    def count(self, conn: sqlite3.Connection, expression: str) -> int:
        """Books matching ``expression`` within the scope (remembered in ``counts`` when given)."""
        if self.counts is None:
            return self._count(conn, expression)
        key = (type(self).__name__, self.where, tuple(self.params), expression)
        return self.counts.get(conn, key, lambda: self._count(conn, expression))

    def _count(self, conn: sqlite3.Connection, expression: str) -> int:
        return sql.count_matches(conn, expression, self.where, self.params)

    def fetch(
        self, conn: sqlite3.Connection, expression: str, ranked: bool, limit: int, offset: int
    ) -> list[tuple[int, str]]:
        fetch = sql.ranked if ranked else sql.unranked
        return fetch(conn, expression, self.where, self.params, limit, offset)


class StatusScope(Scope):
    """Only a status filter: count and rank in the index alone, then drop the few books of other statuses.

    Joining every match to the books table costs about ten times more than the
    index lookup itself; inbox books are few, so subtracting them is cheaper.
    """

    def __init__(self, statuses: tuple[str, ...], counts: MatchCounts | None = None) -> None:
        super().__init__(BookFilter(statuses=statuses), counts)
        self.statuses = statuses
        self.others = tuple(s for s in BOOK_STATUSES if s not in statuses)
        self._excluded: dict[str, int] = {}

    def _count(self, conn: sqlite3.Connection, expression: str) -> int:
        excluded = sql.fts_count_among(conn, expression, self.others) if self.others else 0
        self._excluded[expression] = excluded
        return sql.fts_count(conn, expression) - excluded

    def fetch(
        self, conn: sqlite3.Connection, expression: str, ranked: bool, limit: int, offset: int
    ) -> list[tuple[int, str]]:
        excluded = self._excluded.get(expression)
        if excluded is None:
            excluded = self._excluded[expression] = sql.fts_count_among(conn, expression, self.others)
        nums = sql.fts_nums(conn, expression, ranked, offset + limit + excluded)
        ids = sql.ids_with_status(conn, nums, self.statuses)
        kept = [(num, ids[num]) for num in nums if num in ids]
        return kept[offset : offset + limit]


def scope_for(flt: BookFilter, counts: MatchCounts | None = None) -> Scope:
    only_statuses = BookFilter(statuses=flt.statuses) == flt and set(flt.statuses) <= set(BOOK_STATUSES)
    # Subtracting the other statuses pays off when they are the few inbox books; an inbox search
    # would subtract the whole library, so it joins its matches to the books instead.
    subtract = only_statuses and "organized" in flt.statuses
    return StatusScope(flt.statuses, counts) if subtract else Scope(flt, counts)


def _tiers(
    conn: sqlite3.Connection, plan: Plan, scope: Scope, rank_limit: int | None = None
) -> list[tuple[str, bool, int]]:
    """(expression, ranked?, total) in answer order: exact before corrected, big sets split by column.

    When no book has every word, the tiers come from :meth:`Plan.fallbacks` instead: books
    with more of the words first, and within the same words, exact before corrected.
    With ``rank_limit`` (suggestions, already limited to strong columns) a bigger set is not split,
    only left unranked.
    """
    sources = _sources(conn, plan, None, scope, None)
    if sum(total for _, total in sources) == 0 and len(plan.groups) > 1:
        sources = []
        answered: list[str] = []  # what earlier levels (more of the words) already found
        for keep in plan.fallbacks(lambda i: scope.count(conn, plan.expression([i], corrected=True)) > 0):
            prior = " OR ".join(f"({e})" for e in answered) if answered else None
            sources += _sources(conn, plan, keep, scope, prior)
            answered.append(plan.expression(keep, corrected=True))
    tiers: list[tuple[str, bool, int]] = []
    for expression, total in sources:
        if total == 0:
            continue
        if rank_limit is not None or total <= RANK_LIMIT:
            tiers.append((expression, total <= (rank_limit or RANK_LIMIT), total))
            continue
        # Too many to rank within budget: books matching in title/author/series come first.
        strong = f"{_STRONG_COLUMNS} : ({expression})"
        strong_total = scope.count(conn, strong)
        weak = f"({expression}) NOT ({strong})"
        tiers.append((strong, strong_total <= RANK_LIMIT, strong_total))
        tiers.append((weak, False, total - strong_total))
    return tiers


def _sources(
    conn: sqlite3.Connection, plan: Plan, keep: list[int] | None, scope: Scope, prior: str | None
) -> list[tuple[str, int]]:
    """(expression, total) for the words ``keep``: exact matches, then corrected ones; none of ``prior``."""
    exact = plan.expression(keep)
    if prior is not None:
        exact = f"({exact}) NOT ({prior})"
    exact_total = scope.count(conn, exact)
    sources = [(exact, exact_total)]
    if plan.has_corrections(keep):
        corrected = plan.expression(keep, corrected=True)
        if prior is not None:
            corrected = f"({corrected}) NOT ({prior})"
        # The corrected expression contains the exact one, so its extra books are a difference of counts
        # (cheaper than counting the NOT expression, which evaluates both sides).
        extra = scope.count(conn, corrected) - exact_total
        # With no exact match there is nothing to leave out, and ranking a NOT costs a third more.
        corrected_only = f"({corrected}) NOT ({exact})" if exact_total else corrected
        sources.append((corrected_only, extra))
    return sources


def run_plan(
    conn: sqlite3.Connection, plan: Plan, scope: Scope, limit: int, offset: int, rank_limit: int | None = None
) -> tuple[list[tuple[int, str]], int]:
    """One page of (num, id) across the tiers, and the total."""
    tiers = _tiers(conn, plan, scope, rank_limit)
    rows: list[tuple[int, str]] = []
    skip = offset
    for expression, ranked, total in tiers:
        if len(rows) >= limit:
            break
        if skip >= total:
            skip -= total
            continue
        rows += scope.fetch(conn, expression, ranked, limit - len(rows), skip)
        skip = 0
    return rows, sum(t[2] for t in tiers)


class SearchService:
    """Ranked, typo-tolerant search over books; owns the in-memory vocabulary snapshot."""

    def __init__(self, db: Database, timeout: float = TIMEOUT_SECONDS) -> None:
        self.db = db
        self.timeout = timeout
        self.snapshots = Snapshots(db)
        self.counts = MatchCounts()
        self.results: KeptPages[Book] = KeptPages(RESULT_CACHE_SIZE)  # by plan, filter and window
        self.suggestions: KeptPages[dict[str, Any]] = KeptPages(RESULT_CACHE_SIZE)  # by typed text and limit

    # -- vocabulary ---------------------------------------------------------

    async def vocabulary(self) -> Vocabulary | None:
        return await self.snapshots.current()

    async def refresh(self) -> Vocabulary:
        return await self.snapshots.refresh()

    def refresh_soon(self) -> None:
        self.snapshots.refresh_soon()

    async def close(self) -> None:
        await self.snapshots.close()

    # -- queries ------------------------------------------------------------

    async def plan(self, query: str, columns: str | None = None) -> Plan | None:
        if not words_of(query):
            return None
        return build_plan(query, await self.vocabulary(), columns)

    async def page(self, query: str, flt: BookFilter, limit: int, offset: int) -> tuple[list[Book], int]:
        """One page of books ranked by relevance within ``flt`` (files attached), and the total that match."""
        plan = await self.plan(query)
        if plan is None:
            return [], 0
        scope = scope_for(flt, self.counts)
        # Ranking every match of a common word is most of a search (8 ms for 14,000 books with
        # "river" at 100,000), and the same searches come back: paging, going back, a household.
        # Results are kept like a search engine's result cache.
        key = (repr(plan), repr(flt), limit, offset)

        def run(conn: sqlite3.Connection) -> tuple[list[Book], int]:
            rows, total = run_plan(conn, plan, scope, limit, offset)
            return book_rows.get_many_now(conn, [book_id for _, book_id in rows]), total

        return await self._kept(self.results, flt.statuses, key, run)

    async def _kept(self, pages: KeptPages[P], statuses: tuple[str, ...], key: Hashable,
                    work: Callable[[sqlite3.Connection], tuple[list[P], int]]) -> tuple[list[P], int]:  # fmt: skip
        """``work``'s page, from ``pages`` when it was read under the current change marker, else run
        in a reader and kept. The marker is read before the work, in the same thread: a write
        committing in between files the answer under the older marker, which no later request
        looks up, never under a newer one it does not reflect."""
        marker = await self.db.read(partial(sql.change_marker, statuses=statuses), on_loop=True)
        kept = pages.get(marker, key)
        if kept is not None:
            return kept

        def run(conn: sqlite3.Connection) -> tuple[tuple[Any, ...], list[P], int]:
            seen = sql.change_marker(conn, statuses)
            return (seen, *work(conn))

        seen, items, total = await self.read(run)
        pages.put(seen, key, items, total)
        return items, total

    async def match(self, query: str, statuses: tuple[str, ...], limit: int = 1000) -> list[int]:
        """Book rows (num) matching ``query`` among ``statuses``, best first (used by inbox, OPDS, lists)."""
        return (await self.match_page(query, statuses, limit, 0))[0]

    async def match_page(self, query: str, statuses: tuple[str, ...], limit: int, offset: int) -> tuple[list[int], int]:
        """One page of book rows (num) matching ``query`` among ``statuses``, best first, and how many match."""
        plan = await self.plan(query)
        if plan is None:
            return [], 0
        scope = scope_for(BookFilter(statuses=statuses), self.counts)
        rows, total = await self.read(lambda conn: run_plan(conn, plan, scope, limit, offset))
        return [num for num, _ in rows], total

    async def filter_expression(self, query: str) -> str | None:
        """An FTS expression for BookFilter.match: every book the query finds, typos included."""
        plan = await self.plan(query)
        if plan is None:
            return None

        def widen(conn: sqlite3.Connection) -> str:
            # The same fallback a ranked search makes: when no book has every word, every book any
            # of the word sets of Plan.fallbacks finds (the index alone decides, as the filter applies later).
            if len(plan.groups) < 2 or sql.fts_count(conn, plan.superset()):
                return plan.superset()
            levels = plan.fallbacks(lambda i: sql.fts_count(conn, plan.expression([i], corrected=True)) > 0)
            if not levels:
                return plan.superset()
            return " OR ".join(f"({plan.expression(keep, corrected=True)})" for keep in levels)

        return await self.read(widen)

    async def suggest(self, query: str, limit: int = 8) -> list[dict[str, Any]]:
        """Up to ``limit`` organized or review books whose title/author words start with what was typed."""
        plan = await self.plan(query, columns="{title authors}")
        if plan is None:
            return []
        scope = scope_for(BookFilter(statuses=SUGGEST_STATUSES), self.counts)
        # Titles that start with what was typed come first, straight from the title index: that is
        # what a reader typing a title expects, and it spares the index a walk through the doclists of
        # common words ("the sil" needs every book with "the").
        typed = book_rows.sort_title(" ".join(query.split()))

        key = (repr(plan), typed, limit)  # each keystroke is asked again as a search box fills

        def run(conn: sqlite3.Connection) -> tuple[list[dict[str, Any]], int]:
            rows = sql.title_prefix(conn, typed, SUGGEST_STATUSES, limit) if typed else []
            if len(rows) < limit:
                more, _ = run_plan(conn, plan, scope, limit, 0, SUGGEST_RANK_LIMIT)
                rows += [r for r in more if r not in rows]
            order = {num: i for i, (num, _) in enumerate(rows[:limit])}
            found = sorted(sql.brief_rows(conn, list(order)), key=lambda r: order[r["num"]])
            return [_suggestion(row) for row in found], len(found)

        return (await self._kept(self.suggestions, SUGGEST_STATUSES, key, run))[0]

    # -- index maintenance --------------------------------------------------

    async def ensure_index(self) -> bool:
        """Rebuild the index if it disagrees with the books table; True when it had to."""
        agrees = await self.read(sql.index_agrees)
        if agrees:
            return False
        log.warning("search index disagrees with the books table; rebuilding it")
        await self.reindex()
        return True

    async def reindex(self) -> None:
        await self.db.write(sql.rebuild)

    async def read(self, work: Callable[[sqlite3.Connection], T], timeout: float | None = None) -> T:
        """Run ``work`` in a reader's own thread, in one hop, under the time box (``timeout`` overrides it)."""

        def boxed(raw: sqlite3.Connection) -> T:
            with sql.time_box(raw, timeout or self.timeout):
                return work(raw)

        try:
            return await self.db.read(boxed)
        except sql.QueryTimeout:
            raise Unavailable("Search took too long; try more specific words") from None


def _suggestion(row: sqlite3.Row) -> dict[str, Any]:
    authors = json.loads(row["authors"] or "[]")
    book = Book(id=row["id"], status=row["status"], title=row["title"], authors=authors,
                cover_sha256=row["cover_sha256"])  # fmt: skip
    return {
        "id": book.id,
        "title": book.title,
        "author": ", ".join(authors),
        "status": book.status,
        "coverUrl": book.cover_url(),
        "kind": "inbox" if book.status in INBOX_STATUSES else "library",
    }
