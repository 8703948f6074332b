"""Archives with hostile entry names (../, absolute paths) are ingested without writing anything
outside the data folder: the readers read entries in memory and never extract by name."""

from __future__ import annotations

import uuid
import zipfile
from pathlib import Path

import pytest

from bookshelf.runtime import Runtime
from tests.builders import comic_entries, make_epub
from tests.conftest import make_settings
from tests.ingest.conftest import wait_for
from tests.rarbuild import rar4, rar5

MARK = f"escaped-{uuid.uuid4().hex}"


def hostile_names(outside: Path) -> list[str]:
    return [f"../../{MARK}.txt", f"../../../../../../tmp/{MARK}-deep.txt", f"{outside}/{MARK}-abs.txt",
            f"/tmp/{MARK}-root.txt", f"..\\..\\{MARK}-win.txt", f"ok/../../{MARK}-mid.txt"]  # fmt: skip


def build(kind: str, path: Path, outside: Path) -> Path:
    evil = [(name, b"EVIL " + name.encode()) for name in hostile_names(outside)]
    if kind == "epub":
        make_epub(path, title="Hostile Entries", extra_entries=dict(evil))
        return path
    entries = [*comic_entries(2, {"Title": "Hostile Comic"}), *evil]
    if kind == "cbz":
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in entries:
                archive.writestr(zipfile.ZipInfo(name), data)
    else:
        path.write_bytes(rar5(entries) if kind == "cbr5" else rar4(entries))
    return path


def snapshot(root: Path, skip: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and skip not in p.parents}


@pytest.mark.parametrize("kind", ["epub", "cbz", "cbr4", "cbr5"])
async def test_hostile_entry_names_write_nothing_outside_data(tmp_path: Path, kind: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    suffix = "cbr" if kind.startswith("cbr") else kind
    (tmp_path / "drop").mkdir()
    source = build(kind, tmp_path / "drop" / f"hostile.{suffix}", outside)
    settings = make_settings(tmp_path / "server", start_consumer=True)
    data = settings.data_dir
    before = snapshot(tmp_path, data)
    tmp_before = {p for p in Path("/tmp").glob(f"{MARK}*")}

    rt = await Runtime.open(settings)
    try:
        book_id = (await rt.ingest.accept(source, keep_source=True)).book_id

        async def settled() -> str | None:
            row = await rt.db.fetchone("SELECT status FROM books WHERE id = ?", (book_id,))
            return row[0] if row and row[0] in ("review", "failed") else None

        status = await wait_for(settled, timeout=30, what="the hostile archive to be parsed")
        if kind != "epub":  # every page of a comic is read (the OPDS page-streaming path)
            from bookshelf.formats import comic_pages, read_page

            stored = next(p for p in (data / "incoming").rglob("hostile.*"))
            for n in range(len(comic_pages(stored, "cbr" if kind.startswith("cbr") else "cbz"))):
                read_page(stored, "cbr" if kind.startswith("cbr") else "cbz", n)
    finally:
        await rt.close()

    assert status in ("review", "failed")
    assert snapshot(tmp_path, data) == before, "files outside the data folder changed"
    assert {p for p in Path("/tmp").glob(f"{MARK}*")} == tmp_before == set()
    assert not any(MARK in p.name for p in tmp_path.rglob("*")), "an entry was written by its own name"
