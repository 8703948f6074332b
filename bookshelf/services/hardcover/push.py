"""One book's reading state as Hardcover should show it, and the calls that make it so."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from bookshelf.db.hardcover import Link, Pending
from bookshelf.providers.hardcover_client import HardcoverClient
from bookshelf.providers.hardcover_models import CURRENTLY_READING, PAUSED, READ, UserBook

# bookshelf reading status -> user_books.status_id. "unread" is deliberately absent:
# a book nobody opened is never announced as Want to Read.
STATUS_IDS = {"reading": CURRENTLY_READING, "paused": PAUSED, "finished": READ}


@dataclass(frozen=True)
class Target:
    """What Hardcover should hold for a book; ``sent()`` is what we remember once acknowledged."""

    status_id: int
    percentage: float | None
    started: str | None  # YYYY-MM-DD
    finished: str | None

    def progress_pages(self, pages: int | None) -> int | None:
        if not pages:
            return None
        if self.status_id == READ:
            return pages
        if self.percentage is None:
            return None
        return max(0, min(pages, round(self.percentage * pages)))

    def sent(self, link: Link) -> dict[str, Any]:
        # Pages rather than the raw percentage: a change too small to move a page is not worth a call.
        return {
            "bookId": link.hardcover_book_id,
            "editionId": link.edition_id,
            "statusId": self.status_id,
            "progressPages": self.progress_pages(link.pages),
            "startedAt": self.started,
            "finishedAt": self.finished,
        }


def _day(seconds: int | None, zone: tzinfo) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).astimezone(zone).date().isoformat()


def target_for(book: Pending, zone: tzinfo, now: int) -> Target | None:
    """The Hardcover state for a book, or None when there is nothing to say (unread)."""
    status_id = STATUS_IDS.get(book.status)
    if status_id is None:
        return None
    started = book.started_at
    finished = None
    if status_id == READ:
        if book.finished_at is not None:
            finished = book.finished_at
        elif book.last_finish is not None:  # marked finished by hand after an earlier finish
            started, finished = book.last_finish[0] or started, book.last_finish[1]
        else:  # marked finished by hand: the last time it was read, else today
            finished = book.last_read_at or now
    return Target(
        status_id=status_id, percentage=book.percentage, started=_day(started, zone), finished=_day(finished, zone)
    )


@dataclass
class Pushed:
    user_book_id: int
    read_id: int | None
    message: str


async def push(api: HardcoverClient, link: Link, target: Target, privacy_setting_id: int | None) -> Pushed:
    """Bring the user's Hardcover entry for ``link`` to ``target``: look up first, then insert or update.

    Looking up first is what makes a resumed or repeated push harmless: an entry made by a run
    that stopped half-way is found and updated, never added twice.
    """
    assert link.hardcover_book_id is not None
    book_id = link.hardcover_book_id
    entry = await api.user_book(book_id)
    if entry is None:
        entry = await api.insert_user_book(
            book_id, status_id=target.status_id, edition_id=link.edition_id, privacy_setting_id=privacy_setting_id
        )
        if target.status_id == CURRENTLY_READING:
            # Hardcover may start a read by itself for "currently reading"; find it rather than add a second.
            entry = await api.user_book(book_id) or entry
    elif entry.status_id != target.status_id and target.status_id != READ:
        await api.update_user_book(entry.id, {"status_id": target.status_id})
    read_id, note = await _push_read(api, entry, link, target)
    # A finish is recorded on the read first, then the status (PROVIDERS.md 1.9 step 5).
    if target.status_id == READ and entry.status_id != READ:
        await api.update_user_book(entry.id, {"status_id": READ})
    return Pushed(entry.id, read_id, note)


async def _push_read(api: HardcoverClient, entry: UserBook, link: Link, target: Target) -> tuple[int | None, str]:
    pages = target.progress_pages(link.pages)
    note = "" if pages is not None or target.percentage is None else "; progress not sent: no page count known"
    if pages is None and target.started is None and target.finished is None:
        return None, "status sent" + note
    current = entry.current_read
    if current is None:
        newest = entry.reads[0] if entry.reads else None
        if target.finished is not None and newest is not None and newest.finished_at == target.finished:
            return newest.id, "already recorded as read"
        # No open read, or only finished ones: a finished read is never reopened (a re-read is a new one).
        read = await api.insert_user_book_read(
            entry.id,
            started_at=target.started,
            finished_at=target.finished,
            progress_pages=pages,
            edition_id=link.edition_id,
        )
        return (read.id if read else None), _describe(target, pages) + note
    await api.update_user_book_read(
        current.id,
        started_at=target.started or current.started_at,
        finished_at=target.finished,
        progress_pages=pages if pages is not None else current.progress_pages,
        edition_id=link.edition_id or current.edition_id,
    )
    return current.id, _describe(target, pages) + note


def _describe(target: Target, pages: int | None) -> str:
    name = {CURRENTLY_READING: "reading", PAUSED: "paused", READ: "read"}.get(target.status_id, "?")
    parts = [f"status {name}"]
    if pages is not None:
        parts.append(f"page {pages}")
    if target.finished:
        parts.append(f"finished {target.finished}")
    return ", ".join(parts)
