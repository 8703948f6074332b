"""Finishing or rolling back journaled file moves that a crash (or an error) interrupted.

The disk decides: a destination holding the planned SHA-256 means the move got
far enough to keep, so it is completed (the source removed, the row updated);
otherwise the source is still the one copy and the plan is rolled back. A
destination with other bytes was not made by us and is never touched.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from bookshelf import clock
from bookshelf.db import Database
from bookshelf.db import books as book_rows
from bookshelf.db import moves as move_rows
from bookshelf.formats import koreader_partial_md5
from bookshelf.models import BookFile
from bookshelf.services.storage import durable
from bookshelf.services.storage.files import inside, root_dir
from bookshelf.settings import Settings

log = logging.getLogger("bookshelf.organize")


def described(file: BookFile, dst: Path, sha: str, dst_path: str) -> BookFile:
    """The file row as it is once moved: the hashes of the bytes now at ``dst``."""
    same_bytes = sha == file.sha256
    return BookFile(
        id=file.id, book_id=file.book_id, format=file.format, root="library", path=dst_path,
        filename=dst.name, size=dst.stat().st_size, sha256=sha,
        koreader_hash=file.koreader_hash if same_bytes else koreader_partial_md5(dst),
        page_count=file.page_count, added_at=file.added_at,
    )  # fmt: skip


async def finish_move(conn: Any, move: move_rows.Move, file: BookFile, embedded: str | None) -> None:
    """Journal row done and file row updated in one transaction (old hashes stay in the history)."""
    now = clock.now_iso()
    await book_rows.update_file(conn, file, now)
    await book_rows.record_hashes(conn, file.id, now, filenames=[file.filename])
    await move_rows.set_embedded(conn, file.id, embedded)
    assert move.id is not None
    await move_rows.finish(conn, move.id, "done", now)


def _where(settings: Settings, root: str, relative: str) -> Path | None:
    base = root_dir(settings, root)
    if root == "external":
        return Path(relative)
    if base is None:
        return None
    try:
        return inside(base, relative)
    except Exception:  # a journal row pointing outside its root is never acted on
        return None


def _inspect(settings: Settings, move: move_rows.Move) -> tuple[str, str]:
    """Decide (blocking): ("done" | "rolled_back" | "lost", why). Completes the disk side of "done"."""
    src = _where(settings, move.src_root, move.src_path)
    dst = _where(settings, move.dst_root, move.dst_path)
    staged = Path(move.staged_path) if move.staged_path else None
    if src is None or dst is None:
        return "rolled_back", "journal row points outside its folder"
    assert move.id is not None
    try:
        durable.move_part(dst, move.id).unlink(missing_ok=True)  # a part file is never the only copy
    except OSError:
        pass  # its folder is not there (or not a folder): no part file either
    dst_ok = dst.is_file() and durable.sha256_of(dst) == move.dst_sha256
    if dst_ok:
        if src != dst and src.exists():
            durable.remove(src)
        if staged is not None:
            durable.remove(staged)
        return "done", "destination complete"
    if src == dst or src.exists():
        if staged is not None:
            durable.remove(staged)
        return "rolled_back", "destination incomplete; source kept"
    if staged is not None and staged.is_file() and durable.sha256_of(staged) == move.dst_sha256:
        durable.make_dirs(dst.parent, root_dir(settings, move.dst_root) or dst.parent)
        durable.place(staged, dst, move.dst_sha256, move.id)
        durable.remove(staged)
        return "done", "placed from the staged copy"
    return "lost", "neither source nor destination holds the file"


async def settle(db: Database, settings: Settings, move: move_rows.Move, reason: str = "") -> str:
    """Complete or roll back one planned move according to the disk; returns the new state."""
    outcome, why = await asyncio.to_thread(_inspect, settings, move)
    assert move.id is not None
    async with db.read() as conn:
        file = await book_rows.get_file(conn, move.file_id)
    if outcome == "done" and file is not None:
        dst = _where(settings, move.dst_root, move.dst_path)
        assert dst is not None
        updated = await asyncio.to_thread(described, file, dst, move.dst_sha256, move.dst_path)
        async with db.write() as conn:
            await finish_move(conn, move, updated, None)
        log.info("move %s of %s completed (%s)", move.id, move.dst_path, why)
        return "done"
    state = "rolled_back"
    note = "; ".join(p for p in (reason, why) if p)
    if outcome == "lost" or (outcome == "done" and file is None):
        log.error("move %s (%s -> %s): %s", move.id, move.src_path, move.dst_path, why)
    async with db.write() as conn:
        await move_rows.finish(conn, move.id, state, clock.now_iso(), error=note)
    return state


async def recover(db: Database, settings: Settings) -> dict[str, int]:
    """Settle every move still ``planned`` (run on start, before any new organize)."""
    async with db.read() as conn:
        pending = await move_rows.planned(conn)
    counts = {"done": 0, "rolled_back": 0}
    for move in pending:
        counts[await settle(db, settings, move, reason="interrupted")] += 1
    await asyncio.to_thread(_clear_stale_staging, settings)
    if pending:
        log.warning("recovered %d interrupted file moves: %s", len(pending), counts)
    return counts


def recover_stopped(settings: Settings) -> dict[str, int]:
    """Settle the interrupted moves of a data folder no server has open (`bookshelf doctor --fix`)."""

    async def settle_all() -> dict[str, int]:
        db = Database(settings.db_path, readers=1)
        await db.open()
        try:
            return await recover(db, settings)
        finally:
            await db.close()

    return asyncio.run(settle_all())


def _clear_stale_staging(settings: Settings) -> None:
    """Rewritten copies no planned move refers to are leftovers (the originals are intact)."""
    for leftover in settings.tmp_dir.glob("organize-*.epub"):
        leftover.unlink(missing_ok=True)
