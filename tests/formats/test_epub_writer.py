"""write_epub_metadata: round trips, untouched entries, atomicity and epubcheck validity."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from bookshelf.formats import EpubMetadata, FormatError, read_book, write_epub_metadata
from tests.builders import make_epub, make_jpeg, make_png
from tests.strict import skip_or_fail

META = EpubMetadata(
    title="Война и мир — 戦争と平和",
    authors=["Лев Толстой", "村上 春樹", "עמוס עוז"],
    author_sort="Толстой, Лев",
    series="מלחמה ושלום",
    series_index=2.5,
    isbn13="9780306406157",
    isbn10="0306406152",
    language="ru",
    publisher="Изд & Co",
    published_year=1869,
    description="First <para> & more\n\nSecond line\nthird",
    genres=["Роман", "歴史"],
)


def _entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


@pytest.mark.parametrize("version", [2, 3])
@pytest.mark.parametrize("with_cover", [True, False])
def test_round_trip(tmp_path: Path, version: int, with_cover: bool) -> None:
    path = make_epub(
        tmp_path / "b.epub",
        epub_version=version,
        series="Old",
        series_index=1,
        isbn="0-8044-2957-X",
        subjects=["old"],
        description="old",
        cover=make_jpeg() if with_cover else None,
        extra_entries={"OEBPS/fonts/x.otf": b"\x00font" * 100},
    )
    before = _entries(path)
    write_epub_metadata(path, META, cover=make_png(120, 180))
    book = read_book(path)
    assert book.title == META.title
    assert book.authors == META.authors
    assert book.author_sort == META.author_sort
    assert (book.series, book.series_index) == (META.series, 2.5)
    assert (book.isbn10, book.isbn13) == ("0306406152", "9780306406157")
    assert book.language == "ru" and book.publisher == META.publisher
    assert book.published_year == 1869
    assert book.description == "First <para> & more\n\nSecond line\nthird"
    assert book.genres == META.genres
    assert book.cover and book.cover_media_type in ("image/jpeg", "image/png")
    after = _entries(path)
    changed = {n for n in before if before[n] != after.get(n)}
    assert changed <= {"OEBPS/content.opf", "OEBPS/cover.jpg"}
    assert set(before) <= set(after)
    with zipfile.ZipFile(path) as zf:
        first = zf.infolist()[0]
        assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)
        assert zf.testzip() is None


def test_unknown_metadata_and_spine_are_kept(tmp_path: Path) -> None:
    path = make_epub(tmp_path / "b.epub", authors=["Old Author"])
    opf = _entries(path)["OEBPS/content.opf"].decode()
    opf = opf.replace(
        "</metadata>",
        '<meta name="custom:thing" content="keep me"/>\n'
        "    <dc:contributor>Some Editor</dc:contributor>\n  </metadata>",
    )
    with zipfile.ZipFile(path) as zf:
        entries = {i.filename: zf.read(i) for i in zf.infolist()}
    entries["OEBPS/content.opf"] = opf.encode()
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), entries.pop("mimetype"))
        for name, data in entries.items():
            zf.writestr(name, data, zipfile.ZIP_DEFLATED)
    write_epub_metadata(path, EpubMetadata(title="New", authors=["New Author"]))
    new_opf = _entries(path)["OEBPS/content.opf"].decode()
    assert 'content="keep me"' in new_opf and "Some Editor" in new_opf
    assert "Old Author" not in new_opf
    assert '<itemref idref="c1"/>' in new_opf and 'unique-identifier="uid"' in new_opf
    assert read_book(path).authors == ["New Author"]


def test_failure_leaves_original_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import bookshelf.formats.epub_readback as readback

    path = make_epub(tmp_path / "b.epub")
    original = path.read_bytes()

    def broken(book: object, meta: object) -> dict[str, object]:
        return {"title": "something else"}

    monkeypatch.setattr(readback, "_actual", broken)
    with pytest.raises(FormatError) as info:
        write_epub_metadata(path, EpubMetadata(title="New"))
    assert info.value.reason == "write_failed"
    assert path.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["b.epub"]  # no temp file left behind


def test_refuses_drm_and_broken_files(tmp_path: Path) -> None:
    (tmp_path / "x.epub").write_bytes(b"PK\x03\x04junk")
    with pytest.raises(FormatError):
        write_epub_metadata(tmp_path / "x.epub", EpubMetadata(title="x"))


def _epubcheck() -> list[str]:
    jar = Path("/usr/share/java/epubcheck.jar")
    if shutil.which("java") and jar.exists():
        return ["java", "-jar", str(jar), "-q"]  # the /usr/bin link needs binfmt for jars
    skip_or_fail("epubcheck not installed (Debian package: epubcheck)")


@pytest.mark.parametrize("version", [2, 3])
def test_epubcheck_still_passes_after_write(tmp_path: Path, version: int) -> None:
    command = _epubcheck()
    path = make_epub(
        tmp_path / "b.epub",
        epub_version=version,
        cover=make_jpeg(),
        isbn="9780306406157",
        series="S",
        series_index=1,
        subjects=["x"],
    )
    first = subprocess.run([*command, str(path)], capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stdout + first.stderr
    write_epub_metadata(path, META, cover=make_png(200, 300))
    second = subprocess.run([*command, str(path)], capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stdout + second.stderr


def test_copy_is_a_new_verified_file_with_images_stored(tmp_path: Path) -> None:
    import hashlib

    from bookshelf.formats import write_epub_copy

    src = make_epub(tmp_path / "src.epub", title="Old")
    original = src.read_bytes()
    cover = make_jpeg(120, 180, noise=True)
    sha = write_epub_copy(src, tmp_path / "new.epub", META, cover)

    assert src.read_bytes() == original  # the source is only read
    assert sha == hashlib.sha256((tmp_path / "new.epub").read_bytes()).hexdigest()
    assert read_book(tmp_path / "new.epub").title == META.title
    with zipfile.ZipFile(tmp_path / "new.epub") as zf:
        images = [i for i in zf.infolist() if i.filename.endswith(".jpg")]
        assert images and all(i.compress_type == zipfile.ZIP_STORED for i in images)  # JPEG is compressed already
        assert zf.read(images[0]) == cover
    written = (tmp_path / "new.epub").read_bytes()
    with pytest.raises(FileExistsError):  # never over an existing file, which stays as it was
        write_epub_copy(src, tmp_path / "new.epub", META)
    assert (tmp_path / "new.epub").read_bytes() == written
    with pytest.raises(FormatError):
        write_epub_copy(tmp_path / "missing.epub", tmp_path / "other.epub", META)
    assert not (tmp_path / "other.epub").exists()


def test_a_stored_cover_is_used_as_it_is(tmp_path: Path) -> None:
    from bookshelf.formats import write_epub_copy

    src = make_epub(tmp_path / "src.epub")
    png = make_png(90, 120)
    write_epub_copy(src, tmp_path / "new.epub", META, png, cover_ready=True)
    assert read_book(tmp_path / "new.epub").cover == png
