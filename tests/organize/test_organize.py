"""Organizing real EPUB and PDF files into the library, with metadata embedded and hashes kept."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from bookshelf.db import books as book_rows
from bookshelf.db.connection import fetchall
from bookshelf.formats import koreader_partial_md5, read_book
from bookshelf.runtime import Runtime
from tests.builders import make_epub
from tests.seed import add_book, disk_path, reload

ENCRYPTED = """<?xml version="1.0"?>
<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container"
  xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>
  <enc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
  <enc:CipherData><enc:CipherReference URI="OEBPS/chapter1.xhtml"/></enc:CipherData>
</enc:EncryptedData></encryption>"""


async def approve_in_db(rt: Runtime, book_id: str, **fields: object) -> None:
    async with rt.db.write() as conn:
        book = await book_rows.get(conn, book_id, with_files=False)
        assert book is not None
        for name, value in fields.items():
            setattr(book, name, value)
        book.status, book.organized_at = "organized", "2026-11-27T10:00:00Z"
        await book_rows.save(conn, book)


async def hashes_of(rt: Runtime, file_id: str) -> dict[str, set[str]]:
    async with rt.db.read() as conn:
        rows = await fetchall(conn, "SELECT kind, value FROM file_hashes WHERE file_id = ?", (file_id,))
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(row["kind"], set()).add(row["value"])
    return found


def library_files(rt: Runtime) -> list[str]:
    root = rt.settings.library_dir
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


async def test_epub_is_moved_renamed_and_rewritten(runtime: Runtime) -> None:
    book = await add_book(runtime, "Left Hand", ["Ursula K. Le Guin"])
    old = book.files[0]
    src = disk_path(runtime, old)
    await approve_in_db(runtime, book.id, title="The Left Hand of Darkness", series="Hainish Cycle",
                        series_index=4.0, description="Winter.\n\nA planet.", publisher="Ace")  # fmt: skip

    result = await runtime.organizer.organize_book(book.id)

    assert (result.moved, result.rewritten) == (1, 1)
    after = await reload(runtime, book.id)
    file = after.files[0]
    assert (file.root, file.path) == (
        "library",
        "Ursula K. Le Guin/The Left Hand of Darkness/Ursula K. Le Guin - The Left Hand of Darkness.epub",
    )
    assert file.filename == "Ursula K. Le Guin - The Left Hand of Darkness.epub"
    path = disk_path(runtime, file)
    parsed = read_book(path)
    assert parsed.title == "The Left Hand of Darkness"
    assert parsed.series == "Hainish Cycle" and parsed.series_index == 4.0
    assert parsed.publisher == "Ace"
    assert parsed.author_sort == "Le Guin, Ursula K."
    assert parsed.cover  # the book's cover went back in
    # The row describes the bytes on disk, and every earlier id still maps to the file.
    assert file.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() != old.sha256
    assert file.koreader_hash == koreader_partial_md5(path) != old.koreader_hash
    assert file.size == path.stat().st_size
    ids = await hashes_of(runtime, file.id)
    assert {old.koreader_hash, file.koreader_hash} <= ids["koreader"]
    assert {old.sha256, file.sha256} <= ids["sha256"]
    assert hashlib.md5(file.filename.encode()).hexdigest() in ids["filename"]
    async with runtime.db.read() as conn:
        mapped = await book_rows.book_ids_for_documents(conn, "", [old.koreader_hash])
    assert mapped == {old.koreader_hash: book.id}  # progress synced before the rewrite still counts
    # The original is gone from incoming, its folder too, and nothing is left in tmp.
    assert not src.exists() and not src.parent.exists()
    assert runtime.settings.incoming_dir.exists()
    assert list(runtime.settings.tmp_dir.iterdir()) == []
    moves = await fetchall_moves(runtime)
    assert [m["state"] for m in moves] == ["done"]


async def fetchall_moves(rt: Runtime) -> list:
    async with rt.db.read() as conn:
        return await fetchall(conn, "SELECT * FROM file_moves ORDER BY id")


async def test_organizing_again_is_a_no_op(runtime: Runtime) -> None:
    book = await add_book(runtime, "Dune", ["Frank Herbert"])
    await approve_in_db(runtime, book.id)
    await runtime.organizer.organize_book(book.id)
    file = (await reload(runtime, book.id)).files[0]
    path = disk_path(runtime, file)
    before = os.stat(path)

    again = await runtime.organizer.organize_book(book.id)

    assert (again.moved, again.rewritten, again.unchanged) == (0, 0, 1)
    now = os.stat(path)
    assert (now.st_ino, now.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert len(await fetchall_moves(runtime)) == 1


async def test_metadata_change_in_place_rewrites_without_moving(runtime: Runtime) -> None:
    book = await add_book(runtime, "Dune", ["Frank Herbert"])
    await approve_in_db(runtime, book.id)
    await runtime.organizer.organize_book(book.id)
    first = (await reload(runtime, book.id)).files[0]
    await approve_in_db(runtime, book.id, description="Spice.")
    result = await runtime.organizer.organize_book(book.id)
    second = (await reload(runtime, book.id)).files[0]
    assert (result.moved, result.rewritten) == (0, 1)
    assert second.path == first.path and second.sha256 != first.sha256
    assert read_book(disk_path(runtime, second)).description == "Spice."
    assert library_files(runtime) == [second.path]


async def test_pdf_moves_unchanged(runtime: Runtime) -> None:
    book = await add_book(runtime, "A Paper", ["Ann Author"], fmt="pdf", cover=False)
    before = book.files[0]
    await approve_in_db(runtime, book.id)
    result = await runtime.organizer.organize_book(book.id)
    file = (await reload(runtime, book.id)).files[0]
    assert (result.moved, result.rewritten) == (1, 0)
    assert file.path == "Ann Author/A Paper/Ann Author - A Paper.pdf"
    assert (file.sha256, file.koreader_hash) == (before.sha256, before.koreader_hash)


async def test_same_title_gets_a_numbered_name_never_an_overwrite(runtime: Runtime) -> None:
    first = await add_book(runtime, "Twins", ["Ann Author"])
    second = await add_book(runtime, "Twins", ["Ann Author"], description="The other one")
    for book in (first, second):
        await approve_in_db(runtime, book.id)
        await runtime.organizer.organize_book(book.id)
    paths = {(await reload(runtime, b.id)).files[0].path for b in (first, second)}
    assert paths == {"Ann Author/Twins/Ann Author - Twins.epub", "Ann Author/Twins/Ann Author - Twins (2).epub"}
    # A stranger's file already at the planned name is never overwritten either.
    third = await add_book(runtime, "Stranger", ["Ann Author"])
    squatter = runtime.settings.library_dir / "Ann Author/Stranger/Ann Author - Stranger.epub"
    squatter.parent.mkdir(parents=True)
    squatter.write_bytes(b"not ours")
    await approve_in_db(runtime, third.id)
    await runtime.organizer.organize_book(third.id)
    assert squatter.read_bytes() == b"not ours"
    assert (await reload(runtime, third.id)).files[0].path.endswith("Ann Author - Stranger (2).epub")


async def test_template_change_and_reorganize_all(runtime: Runtime) -> None:
    books = [await add_book(runtime, f"Book {i}", ["Ann Author"], series="Saga" if i < 2 else None,
                            series_index=float(i + 1)) for i in range(3)]  # fmt: skip
    for book in books:
        await approve_in_db(runtime, book.id)
    totals = await runtime.organizer.reorganize_all()
    assert totals == {"books": 3, "changed": 3, "unchanged": 0, "missing": 0}
    await runtime.preferences.patch({"organizeTemplate": "{author}/{series}/{title}"})
    seen: list[tuple[int, int]] = []

    async def progress(done: int, total: int) -> None:
        seen.append((done, total))

    totals = await runtime.organizer.reorganize_all(progress)
    assert totals == {"books": 3, "changed": 2, "unchanged": 1, "missing": 0}
    assert seen[-1] == (3, 3)
    assert library_files(runtime) == [
        "Ann Author/Book 2/Ann Author - Book 2.epub",
        "Ann Author/Saga/Book 0/Ann Author - Book 0.epub",
        "Ann Author/Saga/Book 1/Ann Author - Book 1.epub",
    ]
    # Emptied folders went; the library root stays even when empty.
    assert not (runtime.settings.library_dir / "Ann Author/Book 0").exists()


async def test_embedding_off_moves_epubs_unchanged(runtime: Runtime) -> None:
    await runtime.preferences.patch({"embedMetadata": False})
    book = await add_book(runtime, "Plain", ["Ann Author"])
    await approve_in_db(runtime, book.id, title="Plainer")
    await runtime.organizer.organize_book(book.id)
    file = (await reload(runtime, book.id)).files[0]
    assert file.sha256 == book.files[0].sha256
    assert read_book(disk_path(runtime, file)).title == "Plain"


async def test_an_epub_that_cannot_be_rewritten_still_moves(runtime: Runtime, tmp_path: Path) -> None:
    book = await add_book(runtime, "Locked", ["Ann Author"])
    src = disk_path(runtime, book.files[0])
    # Encrypted content (DRM): the writer refuses, the file must still reach the library untouched.
    make_epub(src, title="Locked", authors=["Ann Author"], encryption_xml=ENCRYPTED)
    from bookshelf.formats import file_hashes

    koreader, sha = file_hashes(src)
    async with runtime.db.write() as conn:
        await conn.execute("UPDATE files SET sha256 = ?, koreader_hash = ? WHERE id = ?",
                           (sha, koreader, book.files[0].id))  # fmt: skip
    await approve_in_db(runtime, book.id)
    result = await runtime.organizer.organize_book(book.id)
    file = (await reload(runtime, book.id)).files[0]
    assert result.moved == 1 and result.rewritten == 0 and result.notes
    assert file.root == "library" and file.sha256 == sha
    assert (await runtime.organizer.organize_book(book.id)).notes == []  # not retried every time


async def test_library_on_another_filesystem_gets_verified_copies(tmp_path: Path) -> None:
    import shutil
    import tempfile

    from tests.conftest import make_settings
    from tests.strict import skip_or_fail

    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        skip_or_fail("needs a second filesystem (/dev/shm as tmpfs) for cross-filesystem moves")
    library = Path(tempfile.mkdtemp(prefix="bookshelf-lib-", dir=shm))
    rt = await Runtime.open(make_settings(tmp_path, library_dir=str(library)), background=False)
    try:
        epub = await add_book(rt, "Far Away", ["Ann Author"])
        pdf = await add_book(rt, "Far Paper", ["Ann Author"], fmt="pdf", cover=False)
        for book in (epub, pdf):
            await approve_in_db(rt, book.id)
            result = await rt.organizer.organize_book(book.id)
            assert result.moved == 1
            file = (await reload(rt, book.id)).files[0]
            path = disk_path(rt, file)
            assert path.is_relative_to(library)
            assert hashlib.sha256(path.read_bytes()).hexdigest() == file.sha256
            assert not disk_path(rt, book.files[0]).exists()  # the source went only after the verified copy
        assert sorted(p.name for p in library.rglob("*") if p.is_file()) == [
            "Ann Author - Far Away.epub",
            "Ann Author - Far Paper.pdf",
        ]  # no part files left
    finally:
        await rt.close()
        shutil.rmtree(library, ignore_errors=True)


async def test_books_filed_at_once_never_share_a_name(runtime: Runtime) -> None:
    import asyncio

    books = [await add_book(runtime, "Twins", ["Ann Author"], description=f"copy {n}") for n in range(4)]
    for book in books:
        await approve_in_db(runtime, book.id)
    await asyncio.gather(*(runtime.organizer.organize_book(b.id) for b in books))
    paths = {(await reload(runtime, b.id)).files[0].path for b in books}
    assert len(paths) == 4 and len(library_files(runtime)) == 4
    assert "Ann Author/Twins/Ann Author - Twins.epub" in paths
    assert runtime.organizer._reserved == set()  # every reservation released once recorded
