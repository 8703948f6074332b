"""Rendered catalog documents kept until the catalog changes: e-readers fetch the same pages again and again."""

from __future__ import annotations

from collections import OrderedDict

MAX_ENTRIES = 256
MAX_BYTES = 16 * 1024 * 1024


class FeedCache:
    """Bytes by (catalog generation, URL). A new generation makes every older entry unreachable."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[int, str], tuple[bytes, str]] = OrderedDict()
        self._bytes = 0
        self._generation = -1
        self.hits = 0  # feeds served without rendering (what the tests watch)

    def get(self, generation: int, url: str) -> tuple[bytes, str] | None:
        body = self._items.get((generation, url))
        if body is not None:
            self._items.move_to_end((generation, url))
            self.hits += 1
        return body

    def put(self, generation: int, url: str, body: bytes, media_type: str) -> None:
        if generation != self._generation:  # the catalog changed: nothing older can be served again
            self._items.clear()
            self._bytes = 0
            self._generation = generation
        if len(body) > self.max_bytes // 4 or (generation, url) in self._items:
            return
        self._items[(generation, url)] = (body, media_type)
        self._bytes += len(body)
        while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
            _, (dropped, _type) = self._items.popitem(last=False)
            self._bytes -= len(dropped)
