"""Which work is background: the queue's tasks, the inbox watcher, the job recorder and the lookup
lanes mark themselves so, and the database's writer lock lets requests go first (db.priority)."""

from __future__ import annotations

import contextvars

_BACKGROUND: contextvars.ContextVar[bool] = contextvars.ContextVar("bookshelf_background", default=False)


def mark_background() -> None:
    """From here on, this asyncio task (and the tasks it creates) writes as background work."""
    _BACKGROUND.set(True)


def is_background() -> bool:
    return _BACKGROUND.get()
