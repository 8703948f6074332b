"""Start-up recovery of interrupted moves: planned journal rows in every state, nothing lost."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from bookshelf import clock
from bookshelf.db import moves as move_rows
from bookshelf.db.connection import fetchall
from bookshelf.formats import EpubMetadata, write_epub_metadata
from bookshelf.models import BookFile
from bookshelf.runtime import Runtime
from bookshelf.settings import Settings
from tests.seed import add_book, disk_path, reload


async def plan(rt: Runtime, file: BookFile, dst_path: str, dst_sha: str, staged: Path | None = None) -> int:
    move = move_rows.Move(
        file_id=file.id, book_id=file.book_id, src_root=file.root, src_path=file.path, dst_root="library",
        dst_path=dst_path, dst_sha256=dst_sha, staged_path=str(staged) if staged else None,
        created_at=clock.now_iso(),
    )  # fmt: skip
    async with rt.db.write(durable=True) as conn:
        return await move_rows.plan(conn, move)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def states(rt: Runtime) -> dict[int, str]:
    async with rt.db.read() as conn:
        rows = await fetchall(conn, "SELECT id, state FROM file_moves")
    return {row["id"]: row["state"] for row in rows}


async def test_every_interrupted_state_is_completed_or_rolled_back(settings: Settings) -> None:
    rt = await Runtime.open(settings, background=False)
    library = settings.library_dir
    planted = {}
    try:
        # 1. Crash before anything happened: only the source exists -> rolled back.
        b1 = await add_book(rt, "Only Source", ["A One"])
        f1 = b1.files[0]
        planted["src_only"] = (await plan(rt, f1, "A One/Only Source/A One - Only Source.epub", f1.sha256), f1)

        # 2. Crash after the source was unlinked: only the destination -> completed.
        b2 = await add_book(rt, "Only Dest", ["B Two"])
        f2 = b2.files[0]
        dst2 = library / "B Two/Only Dest/B Two - Only Dest.epub"
        dst2.parent.mkdir(parents=True)
        os.link(disk_path(rt, f2), dst2)
        disk_path(rt, f2).unlink()
        planted["dst_only"] = (await plan(rt, f2, "B Two/Only Dest/B Two - Only Dest.epub", f2.sha256), f2)

        # 3. Crash between link and unlink: both names, same bytes -> completed, one copy left.
        b3 = await add_book(rt, "Both", ["C Three"])
        f3 = b3.files[0]
        dst3 = library / "C Three/Both/C Three - Both.epub"
        dst3.parent.mkdir(parents=True)
        os.link(disk_path(rt, f3), dst3)
        planted["both"] = (await plan(rt, f3, "C Three/Both/C Three - Both.epub", f3.sha256), f3)

        # 4. A rewritten copy placed, original not yet removed -> completed with the new bytes.
        b4 = await add_book(rt, "Rewritten", ["D Four"])
        f4 = b4.files[0]
        staged = settings.tmp_dir / f"organize-{f4.id}.epub"
        shutil.copyfile(disk_path(rt, f4), staged)
        write_epub_metadata(staged, EpubMetadata(title="Rewritten!", authors=["D Four"]))
        dst4 = library / "D Four/Rewritten/D Four - Rewritten.epub"
        dst4.parent.mkdir(parents=True)
        shutil.copyfile(staged, dst4)
        planted["rewritten"] = (await plan(rt, f4, "D Four/Rewritten/D Four - Rewritten.epub", sha(staged),
                                           staged), f4)  # fmt: skip

        # 5. Something else sits at the destination: never ours, never touched -> rolled back.
        b5 = await add_book(rt, "Foreign", ["E Five"])
        f5 = b5.files[0]
        dst5 = library / "E Five/Foreign/E Five - Foreign.epub"
        dst5.parent.mkdir(parents=True)
        dst5.write_bytes(b"someone else's file")
        planted["foreign"] = (await plan(rt, f5, "E Five/Foreign/E Five - Foreign.epub", f5.sha256), f5)

        # 6. A cross-filesystem copy cut short: a part file only -> removed, rolled back.
        b6 = await add_book(rt, "Partial", ["F Six"])
        f6 = b6.files[0]
        dst6 = library / "F Six/Partial/F Six - Partial.epub"
        dst6.parent.mkdir(parents=True)
        move_id = await plan(rt, f6, "F Six/Partial/F Six - Partial.epub", f6.sha256)
        (dst6.parent / f".bookshelf-move-{move_id}.part").write_bytes(disk_path(rt, f6).read_bytes()[:100])
        planted["partial"] = (move_id, f6)
    finally:
        await rt.close()

    rt = await Runtime.open(settings, background=False)  # recovery runs on open
    try:
        result = await states(rt)
        assert result == {
            planted["src_only"][0]: "rolled_back", planted["dst_only"][0]: "done", planted["both"][0]: "done",
            planted["rewritten"][0]: "done", planted["foreign"][0]: "rolled_back",
            planted["partial"][0]: "rolled_back",
        }  # fmt: skip
        for key, (_, file) in planted.items():
            now = (await reload(rt, file.book_id)).files[0]
            path = disk_path(rt, now)
            assert path.is_file(), key
            assert sha(path) == now.sha256, key  # the row describes the bytes on disk
            if result[planted[key][0]] == "done":
                assert now.root == "library" and not disk_path(rt, file).exists(), key
            else:
                assert (now.root, now.path) == (file.root, file.path), key
        assert dst5.read_bytes() == b"someone else's file"
        assert not list(dst6.parent.glob(".bookshelf-move-*"))
        assert not staged.exists()
        rewritten = (await reload(rt, planted["rewritten"][1].book_id)).files[0]
        assert rewritten.koreader_hash != planted["rewritten"][1].koreader_hash
        # Exactly one copy of each book file anywhere under the managed folders.
        everything = [p for root in (settings.library_dir, settings.incoming_dir) for p in root.rglob("*.epub")]
        assert len(everything) == len(planted) + 1  # dst5 is the stranger's file
        assert len({sha(p) for p in everything if p != dst5}) == len(planted)
    finally:
        await rt.close()


async def test_failed_move_leaves_the_source_and_a_rolled_back_row(runtime: Runtime) -> None:
    book = await add_book(runtime, "Blocked", ["Ann Author"])
    async with runtime.db.write() as conn:
        await conn.execute("UPDATE books SET status = 'organized' WHERE id = ?", (book.id,))
    # A file where the author's folder should be: the move cannot happen.
    (runtime.settings.library_dir / "Ann Author").write_bytes(b"in the way")
    src = disk_path(runtime, book.files[0])
    with pytest.raises(OSError):
        await runtime.organizer.organize_book(book.id)
    assert src.is_file() and sha(src) != ""
    assert list((await states(runtime)).values()) == ["rolled_back"]
    assert (await reload(runtime, book.id)).files[0].root == "incoming"


async def test_failed_organize_job_leaves_the_book_organized_and_listed(runtime: Runtime) -> None:
    book = await add_book(runtime, "Blocked", ["Ann Author"])
    async with runtime.db.write() as conn:
        await conn.execute("UPDATE books SET status = 'organized' WHERE id = ?", (book.id,))
    (runtime.settings.library_dir / "Ann Author").write_bytes(b"in the way")
    job = await runtime.jobs.enqueue("organize_book", book.id)
    await runtime.jobs.drain()
    failed, total = await runtime.jobs.failed(10)
    assert total == 1 and failed[0].id == job.id and failed[0].queue == "organize"
    assert "Not a directory" in (failed[0].error or "")
    after = await reload(runtime, book.id)
    assert after.status == "organized" and after.files[0].root == "incoming"
    assert disk_path(runtime, after.files[0]).is_file()
