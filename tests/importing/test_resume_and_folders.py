"""A killed import continues without doubling anything; folder trees copied or registered in place."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bookshelf.db import books as book_rows
from bookshelf.db.connection import fetchall
from bookshelf.runtime import Runtime
from bookshelf.services.importing.service import ImportRequest
from bookshelf.services.names.disk import from_filesystem
from bookshelf.services.storage.durable import IMPORT_PART_SUFFIX as PART_SUFFIX
from bookshelf.services.storage.files import file_path
from bookshelf.settings import Settings
from tests.builders import make_epub, make_pdf
from tests.conftest import make_settings
from tests.importing.calibre_library import CBook, make_calibre_library, snapshot


def bookshelf(*args: str) -> list[str]:
    return [sys.executable, "-m", "bookshelf", *args]


def count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # not migrated yet
    finally:
        conn.close()


def test_killed_calibre_import_resumes_without_doubling(tmp_path: Path) -> None:
    books = [CBook(f"Resumable {i:03d}", formats=["EPUB", "PDF"] if i % 10 == 0 else ["EPUB"]) for i in range(300)]
    lib = make_calibre_library(tmp_path / "calibre", books)
    before = snapshot(lib)
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKSHELF_")}
    command = bookshelf("import", "--from-calibre", str(lib), "--data-dir", str(data))
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db = data / "bookshelf.db"
    deadline = time.monotonic() + 60
    while count(db, "SELECT count(*) FROM import_sources") < 60:
        assert process.poll() is None, f"import exited early with {process.returncode}"
        assert time.monotonic() < deadline, "import made no progress"
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done = count(db, "SELECT count(*) FROM import_sources")
    assert 60 <= done < 300, f"the kill came too late to test anything ({done} books done)"
    assert count(db, "SELECT count(*) FROM books") == done  # a book and its source commit together

    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    assert finished.returncode == 0, finished.stderr + finished.stdout
    assert f"already imported by an earlier run: {done}" in finished.stdout
    assert f"imported {300 - done}," in finished.stdout

    assert count(db, "SELECT count(*) FROM books") == 300
    assert count(db, "SELECT count(DISTINCT title) FROM books") == 300
    assert count(db, "SELECT count(*) FROM import_sources") == 300
    assert count(db, "SELECT count(*) FROM files") == 330
    assert count(db, "SELECT count(*) FROM files WHERE root <> 'library'") == 0
    on_disk = [p for p in (data / "library").rglob("*") if p.is_file()]
    assert len(on_disk) == 330  # no orphan copy from the killed run
    assert not list((data / "incoming").rglob(f"*{PART_SUFFIX}"))
    assert snapshot(lib) == before


async def _books(rt: Runtime) -> list:
    async with rt.db.read() as conn:
        rows = await fetchall(conn, "SELECT id FROM books ORDER BY num")
        return await book_rows.get_many(conn, [r["id"] for r in rows])


def _tree(root: Path) -> Path:
    for folder in (root / "Le Guin", root / "papers" / "deep"):
        folder.mkdir(parents=True)
    make_epub(root / "Le Guin" / "Earthsea.epub", title="A Wizard of Earthsea", authors=["Ursula K. Le Guin"],
              series="Earthsea", series_index=1)  # fmt: skip
    make_pdf(root / "papers" / "deep" / "Paper.pdf", title="A Paper", author="Jo Writer")
    (root / "notes.txt").write_text("not a book")
    (root / "broken.epub").write_bytes(b"PK\x03\x04 this is not really a zip")
    return root


async def test_in_place_folder_import_registers_files_where_they_are(runtime: Runtime, tmp_path: Path) -> None:
    tree = _tree(tmp_path / "books")
    before = snapshot(tree)

    report = await runtime.importer.run(ImportRequest(tree, "folder", in_place=True), [])

    assert len(report.imported) == 2 and [f["name"] for f in report.failed] == ["broken.epub"]
    books = {b.title: b for b in await _books(runtime)}
    earthsea = books["A Wizard of Earthsea"]
    assert earthsea.status == "organized" and earthsea.series == "Earthsea" and earthsea.organized_at
    record = earthsea.files[0]
    assert record.root == "external" and record.path == str((tree / "Le Guin" / "Earthsea.epub").resolve())
    assert file_path(runtime.settings, record) == tree.resolve() / "Le Guin" / "Earthsea.epub"
    assert books["A Paper"].files[0].format == "pdf"
    assert snapshot(tree) == before  # not copied, renamed, or written
    assert not [p for p in runtime.settings.library_dir.rglob("*") if p.is_file()]

    again = await runtime.importer.run(ImportRequest(tree, "folder", in_place=True), [])
    assert again.earlier == 2 and not again.imported and len(await _books(runtime)) == 2


async def test_in_place_import_of_the_library_folder_itself_is_relative(tmp_path: Path) -> None:
    library = _tree(tmp_path / "library")
    settings: Settings = make_settings(tmp_path, library_dir=str(library))
    rt = await Runtime.open(settings, background=False)
    try:
        await rt.importer.run(ImportRequest(library, "folder", in_place=True), [])
        books = {b.title: b for b in await _books(rt)}
    finally:
        await rt.close()
    record = books["A Wizard of Earthsea"].files[0]
    assert (record.root, record.path) == ("library", "Le Guin/Earthsea.epub")


def test_in_place_import_from_the_command_line(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "books")
    before = snapshot(tree)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKSHELF_")}
    data = tmp_path / "data"
    first = subprocess.run(bookshelf("import", "--in-place", str(tree), "--data-dir", str(data)), env=env,
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    assert first.returncode == 1, first.stdout + first.stderr  # broken.epub failed, and says why
    assert "failed: broken.epub" in first.stdout and "imported 2," in first.stdout
    assert "2/3" in first.stderr or "3/3" in first.stderr  # the progress line
    assert snapshot(tree) == before
    moved = subprocess.run(bookshelf("import", "--in-place", "--move", str(tree), "--data-dir", str(data)),
                           env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert moved.returncode == 2 and "neither moves" in moved.stderr


async def test_copied_folder_goes_through_the_inbox_and_keeps_originals(
    inline_runtime: Runtime, tmp_path: Path
) -> None:
    runtime = inline_runtime
    tree = _tree(tmp_path / "books")
    before = snapshot(tree)

    report = await runtime.importer.run(ImportRequest(tree, "folder"), [], drain=runtime.jobs.drain)

    assert len(report.imported) == 3  # the broken EPUB is taken too: it fails visibly in the inbox
    books = {b.title: b for b in await _books(runtime)}
    assert books["A Wizard of Earthsea"].status == "review"
    assert all(f.root == "incoming" for b in books.values() for f in b.files)
    assert sorted(b.status for b in books.values()) == ["failed", "review", "review"]
    assert snapshot(tree) == before
    again = await runtime.importer.run(ImportRequest(tree, "folder"), [], drain=runtime.jobs.drain)
    assert again.earlier == 3 and len(await _books(runtime)) == 3


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(raws=st.lists(st.binary(min_size=1, max_size=40), min_size=1, max_size=4, unique=True))
def test_in_place_never_renames_a_file_whose_name_is_not_utf8(tmp_path_factory: Any, raws: list[bytes]) -> None:
    """A name whose bytes are not UTF-8 (a NAS share written by an old tool) cannot be recorded as
    it is; the file keeps its name and bytes, and a copy comes in under its readable spelling."""
    raws = [r for r in raws if b"/" not in r and b"\x00" not in r and not r.startswith(b".")]
    odd = [r for r in raws if os.fsdecode(r + b".epub") != from_filesystem(os.fsdecode(r + b".epub"))]
    assume(odd)
    root = tmp_path_factory.mktemp("odd")
    tree = root / "share"
    tree.mkdir()
    for i, raw in enumerate(odd):
        make_epub(tree / os.fsdecode(raw + b".epub"), title=f"Odd {raw.hex()} {i}", authors=["A. Writer"])
    before = snapshot(tree)

    async def run() -> None:
        rt = await Runtime.open(make_settings(root), background=False)
        try:
            report = await rt.importer.run(ImportRequest(tree, "folder", in_place=True), [])
            assert len(report.imported) == len(odd), report.failed
            notices = [n for n in report.notes if n["kind"] == "notice" and "not UTF-8" in n["reason"]]
            assert len(notices) == len(odd)
            for entry in report.imported:
                async with rt.db.read() as conn:
                    book = await book_rows.get(conn, entry["bookId"])
                assert book is not None and book.files[0].root != "external"  # a copy, not the user's file
                book.files[0].filename.encode("utf-8")
        finally:
            await rt.close()

    asyncio.run(run())
    assert snapshot(tree) == before  # same names, same bytes: nothing renamed or written
