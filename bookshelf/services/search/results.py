"""Pages of books kept under the change marker they were read at, as a search engine keeps results.

A marker (see ``db.search.change_marker``) moves in the same transaction as any change the
pages could show, so an entry read under the current marker is current. Entries are looked
up and stored on the event loop only, so no lock is needed.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from bookshelf.models import Book


class KeptPages:
    """The last ``size`` pages of books and their totals, least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[Hashable, Hashable], tuple[tuple[Book, ...], int]] = OrderedDict()

    def get(self, marker: Hashable, key: Hashable) -> tuple[list[Book], int] | None:
        found = self._items.get((marker, key))
        if found is None:
            return None
        self._items.move_to_end((marker, key))
        return list(found[0]), found[1]

    def put(self, marker: Hashable, key: Hashable, books: list[Book], total: int) -> None:
        self._items[(marker, key)] = (tuple(books), total)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
