"""Pages of results kept under the change marker they were read at, as a search engine keeps them.

A marker (see ``db.search.change_marker``) moves in the same transaction as any change the
pages could show, so an entry read under the current marker is current. Entries are looked
up and stored on the event loop only, so no lock is needed.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class KeptPages(Generic[T]):
    """The last ``size`` pages (books, suggestions) and their totals, least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[Hashable, Hashable], tuple[tuple[T, ...], int]] = OrderedDict()

    def get(self, marker: Hashable, key: Hashable) -> tuple[list[T], int] | None:
        found = self._items.get((marker, key))
        if found is None:
            return None
        self._items.move_to_end((marker, key))
        return list(found[0]), found[1]

    def put(self, marker: Hashable, key: Hashable, items: list[T], total: int) -> None:
        self._items[(marker, key)] = (tuple(items), total)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
