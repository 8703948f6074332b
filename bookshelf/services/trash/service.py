"""The trash: listing deleted books and files, restoring them where they were, and purging for good.

Purging is the only place bookshelf really removes a user's file, and only from data/trash/.
A restore first records durably where each file goes back to (state ``restoring``), then moves
the files without overwriting anything, then brings every row back in one transaction; start-up
resumes a restore a crash interrupted.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from bookshelf import clock
from bookshelf.db import Database
from bookshelf.db import books as book_rows
from bookshelf.db import moves as move_rows
from bookshelf.db import trash as trash_rows
from bookshelf.db.trash import TrashEntry
from bookshelf.errors import Conflict, NotFound
from bookshelf.folding import name_key
from bookshelf.models import Book
from bookshelf.services.jobs import JobService
from bookshelf.services.organize import naming
from bookshelf.services.preferences import PreferenceService
from bookshelf.services.storage import durable
from bookshelf.services.storage.files import inside, root_dir
from bookshelf.settings import Settings

log = logging.getLogger("bookshelf.trash")
MAX_NUMBERED = 1000
RESTORE_MOVE_ID = 0  # part-file name of a restore's cross-filesystem copy (journal ids start at 1)


@dataclass
class Restored:
    book: Book
    job_id: str | None
    missing: list[str]


class TrashService:
    def __init__(self, db: Database, settings: Settings, preferences: PreferenceService, jobs: JobService) -> None:
        self.db = db
        self.settings = settings
        self.preferences = preferences
        self.jobs = jobs
        self._lock = asyncio.Lock()  # one restore or purge at a time: claimed paths must not race

    # -- listing ---------------------------------------------------------------------------
    async def listing(self, page: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        async with self.db.read() as conn:
            entries, total = await trash_rows.page(conn, limit, (page - 1) * limit)
        return [self.to_json(e) for e in entries], total

    def to_json(self, entry: TrashEntry) -> dict[str, Any]:
        days = int(self.preferences.get("trashDays"))
        expires = clock.iso(clock.parse_iso(entry.deleted_at) + timedelta(days=days))
        files = [{"filename": r["file"]["filename"], "size": r["file"]["size"], "format": r["file"]["format"],
                  "kept": r.get("trashPath") is None and "row" in r} for r in entry.files]  # fmt: skip
        return {"id": entry.id, "kind": entry.kind, "bookId": entry.book_id, "title": entry.title,
                "authors": list(entry.book.get("authors") or []), "status": entry.book.get("status"),
                "deletedAt": entry.deleted_at, "files": files, "expiresAt": expires,
                "restoring": entry.state == "restoring"}  # fmt: skip

    # -- restoring -------------------------------------------------------------------------
    async def restore(self, trash_id: str) -> Restored:
        async with self._lock:
            return await self._restore(trash_id)

    async def recover(self) -> int:
        """Finish every restore a crash interrupted (run at start, before organizing)."""
        async with self.db.read() as conn:
            pending = await trash_rows.restoring(conn)
        for trash_id in pending:
            try:
                await self.restore(trash_id)
            except Exception:
                log.exception("could not finish restoring trash entry %s; it stays in the trash", trash_id)
        return len(pending)

    async def _restore(self, trash_id: str) -> Restored:
        async with self.db.read() as conn:
            entry = await trash_rows.get(conn, trash_id)
            if entry is None:
                raise NotFound("Trash entry not found")
            owner = await book_rows.get(conn, entry.book_id, with_files=False)
        if entry.kind == "book" and owner is not None:
            raise Conflict("A book with this id is in the library again")
        if entry.kind == "book" and "rows" not in entry.book:
            raise Conflict("This entry was deleted by an older version and cannot be restored")
        if entry.kind == "file" and (owner is None or owner.status != "organized"):
            raise Conflict("The book this file belonged to is no longer in the library; restore it first")
        if entry.state != "restoring":
            records = await self._plan(entry)
            async with self.db.write(durable=True) as conn:
                await trash_rows.set_restoring(conn, trash_id, records)
            entry.files = records
        missing: set[int] = set()
        for index, record in enumerate(entry.files):
            if not await asyncio.to_thread(self._bring_back, record):
                missing.add(index)
                log.error("restoring %s: %s is in neither the trash nor its old place", trash_id,
                          record["file"]["filename"])  # fmt: skip
        async with self.db.write() as conn:
            await self._put_rows(conn, entry, missing)
            await trash_rows.delete(conn, trash_id)
        await asyncio.to_thread(shutil.rmtree, self.settings.trash_dir / trash_id, True)
        job = await self._follow_up(entry)
        async with self.db.read() as conn:
            book = await book_rows.get(conn, entry.book_id)
        assert book is not None
        log.info("restored %s %s (%s)", entry.kind, entry.book_id, entry.title)
        return Restored(book, job, [entry.files[i]["file"]["filename"] for i in sorted(missing)])

    async def _plan(self, entry: TrashEntry) -> list[dict[str, Any]]:
        """Each file's way back: its old place, or a numbered variant when that is taken now."""
        claimed: set[tuple[str, str]] = set()
        records = []
        for record in entry.files:
            record = dict(record)
            if record.get("row"):
                root, path = await self._free_path(record, claimed)
                claimed.add((root, name_key(path)))
                record["restoreRoot"], record["restorePath"] = root, path
            records.append(record)
        return records

    async def _free_path(self, record: dict[str, Any], claimed: set[tuple[str, str]]) -> tuple[str, str]:
        root, path = record["root"], record["path"]
        folder, _, name = path.rpartition("/")
        for n in range(1, MAX_NUMBERED + 1):
            candidate = naming.numbered(name, n)
            option = f"{folder}/{candidate}" if folder else candidate
            async with self.db.read() as conn:
                taken = await move_rows.paths_taken(conn, root, [option])
            if (root, name_key(option)) in claimed or taken:
                continue
            target = self._where(root, option)
            if target is None:
                break
            if not await asyncio.to_thread(target.exists) or await asyncio.to_thread(_holds, target, record["sha256"]):
                return root, option
        raise Conflict(f"No free name to restore {record['file']['filename']} to")

    def _where(self, root: str, path: str) -> Path | None:
        if root == "external":
            return Path(path) if Path(path).is_absolute() else None
        base = root_dir(self.settings, root)
        return inside(base, path) if base is not None else None

    def _bring_back(self, record: dict[str, Any]) -> bool:
        """Put one file at its restore path (blocking); False when its bytes are nowhere to be found."""
        if "restorePath" not in record:
            return False
        dst = self._where(record["restoreRoot"], record["restorePath"])
        assert dst is not None
        sha = record["sha256"]
        if _holds(dst, sha):
            return True  # already back (an earlier attempt, or a kept file)
        src: Path | None = None
        trashed = inside(self.settings.trash_dir, record["trashPath"]) if record.get("trashPath") else None
        old = self._where(record["root"], record["path"])
        if trashed is not None and trashed.is_file():
            src, sha = trashed, durable.sha256_of(trashed)  # whatever the trash holds goes back, never dropped
            if sha != record["sha256"]:
                log.error("%s in the trash no longer matches its recorded SHA-256", trashed)
        elif old is not None and _holds(old, sha):
            src = old  # kept in place, or a delete stopped before moving it
        if src is None:
            return False
        durable.make_dirs(dst.parent, root_dir(self.settings, record["restoreRoot"]) or dst.parent)
        durable.place(src, dst, sha, RESTORE_MOVE_ID)
        durable.remove(src)
        return True

    async def _put_rows(self, conn: Any, entry: TrashEntry, missing: set[int]) -> None:
        now = clock.now_iso()
        if entry.kind == "book":
            rows = entry.book["rows"]
            await trash_rows.put_rows(conn, "books", rows["books"])
            book = await book_rows.get(conn, entry.book_id, with_files=False)
            assert book is not None
            await book_rows.set_links(conn, book)
            for table in trash_rows.BOOK_TABLES:
                await trash_rows.put_rows(conn, table, rows.get(table, []))
        for index, record in enumerate(entry.files):
            if "restorePath" not in record or index in missing:
                continue
            row = dict(record["row"], book_id=entry.book_id, root=record["restoreRoot"], path=record["restorePath"],
                       name_key=name_key(record["restorePath"]))  # fmt: skip
            if record["restorePath"] != record["path"]:
                row["filename"] = record["restorePath"].rpartition("/")[2]
            await trash_rows.put_rows(conn, "files", [row])
            await trash_rows.put_rows(conn, "file_hashes", record.get("hashes", []))
            await book_rows.record_hashes(conn, row["id"], now, filenames=[row["filename"]])
        if entry.kind == "file":
            await book_rows.touch(conn, entry.book_id, now)

    async def _follow_up(self, entry: TrashEntry) -> str | None:
        """An organized book is organized again (the template may have changed); an unparsed one re-parsed."""
        status = entry.book.get("status")
        if status == "organized":
            return (await self.jobs.enqueue("organize_book", entry.book_id)).id
        if status == "processing":
            async with self.db.write() as conn:
                await book_rows.set_status(conn, entry.book_id, "processing", "parsing", clock.now_iso())
            return (await self.jobs.enqueue("parse_book", entry.book_id)).id
        return None

    # -- purging ---------------------------------------------------------------------------
    async def purge(self, trash_id: str) -> None:
        async with self._lock:
            await self._purge(trash_id)

    async def _purge(self, trash_id: str) -> None:
        """The row goes first (durably), then the folder: a crash leaves an orphan folder, which the
        next purge sweeps, never a row whose files are gone."""
        async with self.db.write(durable=True) as conn:
            entry = await trash_rows.get(conn, trash_id)
            if entry is None:
                raise NotFound("Trash entry not found")
            if entry.state == "restoring":
                raise Conflict("This entry is being restored")
            await trash_rows.delete(conn, trash_id)
        await asyncio.to_thread(_remove_folder, self.settings.trash_dir / trash_id)
        log.info("purged trash entry %s (%s)", trash_id, entry.title)

    async def empty(self) -> int:
        return await self._purge_all(None)

    async def purge_expired(self) -> int:
        cutoff = clock.iso(clock.now() - timedelta(days=int(self.preferences.get("trashDays"))))
        return await self._purge_all(cutoff)

    async def _purge_all(self, deleted_before: str | None) -> int:
        async with self.db.read() as conn:
            found = await trash_rows.ids(conn, deleted_before)
        purged = 0
        async with self._lock:
            for trash_id in found:
                try:
                    await self._purge(trash_id)
                except (NotFound, Conflict):
                    continue
                purged += 1
            await self._sweep()
        return purged

    async def _sweep(self) -> None:
        """Folders in data/trash/ that no entry names are what an interrupted purge left."""
        # Folders first: an entry's row commits before its folder exists, so a listed folder's row is known.
        folders = await asyncio.to_thread(lambda: [p for p in self.settings.trash_dir.iterdir() if p.is_dir()])
        async with self.db.read() as conn:
            known = set(await trash_rows.ids(conn))
        for folder in folders:
            if folder.name not in known:
                await asyncio.to_thread(_remove_folder, folder)


def _holds(path: Path, sha256: str) -> bool:
    try:
        return path.is_file() and durable.sha256_of(path) == sha256
    except OSError:
        return False


def _remove_folder(folder: Path) -> None:
    if folder.is_dir() and not folder.is_symlink():
        shutil.rmtree(folder)
        durable.fsync_dir(folder.parent)
