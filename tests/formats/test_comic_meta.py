"""Comic metadata in all three forms (ComicInfo.xml, CoMet, ComicBookInfo), in CBZ and in CBR."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookshelf.formats import read_book
from bookshelf.formats.rar_comment import rar_comment
from bookshelf.models import Credit
from tests.builders import comicbookinfo_comment, make_cbr, make_cbz
from tests.formats.test_comic import _need_libarchive

CBI = {
    "series": "Okami no Mori", "title": "The Hunt", "issue": "1", "volume": 2, "publisher": "Mori Press",
    "publicationYear": 2019, "publicationMonth": 4, "language": "Japanese", "genre": "Manga",
    "tags": ["wolves", "forest"], "comments": "A wolf story.",
    "credits": [
        {"person": "Tanaka, Yuki", "role": "Writer", "primary": True}, {"person": "Ken Sato", "role": "Penciller"},
        {"person": "Ito, Mei", "role": "Artist"}, {"person": "Ai Ono", "role": "Inker"},
        {"person": "Rin Kato", "role": "Colorist"}, {"person": "Jun Mori", "role": "Letterer"},
        {"person": "Sho Abe", "role": "Cover"}, {"person": "Kai Ueda", "role": "Editor"},
    ],
}  # fmt: skip
CBI_CREDITS = [Credit("Ai Ono", "inker"), Credit("Rin Kato", "colorist"), Credit("Jun Mori", "letterer"),
               Credit("Sho Abe", "cover artist"), Credit("Kai Ueda", "editor")]  # fmt: skip


def archive(tmp_path: Path, kind: str, name: str = "Okami 01", **metadata: object) -> Path:
    """The same comic as a CBZ, a RAR4 CBR or a RAR5 CBR."""
    if kind == "cbz":
        return make_cbz(tmp_path / f"{name}.cbz", pages=2, **metadata)  # type: ignore[arg-type]
    _need_libarchive()
    version = 4 if kind == "rar4" else 5
    return make_cbr(tmp_path / f"{name}.cbr", pages=2, rar_version=version, **metadata)  # type: ignore[arg-type]


KINDS = ("cbz", "rar4", "rar5")


@pytest.mark.parametrize("kind", KINDS)
def test_comicbookinfo_in_the_archive_comment(tmp_path: Path, kind: str) -> None:
    book = read_book(archive(tmp_path, kind, comment=comicbookinfo_comment(CBI)))
    assert book.title == "The Hunt"
    assert (book.series, book.series_index) == ("Okami no Mori", 1.0)  # the issue, not the volume
    assert book.authors == ["Yuki Tanaka", "Ken Sato", "Mei Ito"]
    assert book.contributors == CBI_CREDITS
    assert (book.publisher, book.published_year, book.language) == ("Mori Press", 2019, "ja")
    assert book.genres == ["Manga", "wolves", "forest"]
    assert book.description == "A wolf story."


@pytest.mark.parametrize("kind", KINDS)
def test_comicinfo_title_never_carries_the_issue_number(tmp_path: Path, kind: str) -> None:
    info = {"Series": "Okami no Mori", "Number": "1", "Writer": "Yuki Tanaka", "Penciller": "Ken Sato",
            "Inker": "Ai Ono", "Colorist": "Rin Kato", "Letterer": "Jun Mori", "CoverArtist": "Sho Abe",
            "Editor": "Kai Ueda", "Translator": "Zoe Lang"}  # fmt: skip
    book = read_book(archive(tmp_path, kind, comicinfo=info))
    assert book.title == "Okami no Mori" and "#" not in book.title
    assert book.series_index == 1.0
    assert book.authors == ["Yuki Tanaka", "Ken Sato"]
    assert book.contributors == [*CBI_CREDITS, Credit("Zoe Lang", "translator")]


@pytest.mark.parametrize("kind", KINDS)
def test_comet(tmp_path: Path, kind: str) -> None:
    comet = {"title": "Dawn", "series": "Wolves", "issue": "7", "volume": "1", "publisher": "Howl",
             "date": "2021-05-02", "genre": ["Action", "Drama"], "language": "fr", "writer": ["A. Un", "B. Deux"],
             "penciller": "C. Trois", "inker": "D. Quatre", "coverDesigner": "E. Cinq",
             "description": "Sunrise.", "identifier": "978-0-306-40615-7"}  # fmt: skip
    book = read_book(archive(tmp_path, kind, comet=comet))
    assert (book.title, book.series, book.series_index) == ("Dawn", "Wolves", 7.0)
    assert book.authors == ["A. Un", "B. Deux", "C. Trois"]
    assert book.contributors == [Credit("D. Quatre", "inker"), Credit("E. Cinq", "cover artist")]
    assert (book.publisher, book.published_year, book.language, book.isbn13) == ("Howl", 2021, "fr", "9780306406157")
    assert book.genres == ["Action", "Drama"] and book.description == "Sunrise."


def test_comicinfo_wins_field_by_field_over_the_other_forms(tmp_path: Path) -> None:
    info = {"Title": "From ComicInfo", "Writer": "Yuki Tanaka"}
    book = read_book(archive(tmp_path, "cbz", comicinfo=info, comet={"publisher": "CoMet Press", "title": "No"},
                             comment=comicbookinfo_comment(CBI)))  # fmt: skip
    assert book.title == "From ComicInfo"
    assert book.authors == ["Yuki Tanaka"]  # authors come whole from one form, never spelled twice
    assert book.publisher == "CoMet Press"
    assert (book.series, book.series_index) == ("Okami no Mori", 1.0)
    assert book.contributors == CBI_CREDITS


@pytest.mark.parametrize(
    "comment",
    [
        b"",
        b"not json",
        b"{broken",
        b'{"other": 1}',
        b"[1, 2]",
        b"\xff\xfe{",
        b'{"ComicBookInfo/1.0": {"credits": [null, 3, {"person": 5}], "tags": "x"}}',
    ],
)
def test_odd_comments_are_ignored(tmp_path: Path, comment: bytes) -> None:  # fmt: skip
    for kind in KINDS:
        book = read_book(archive(tmp_path, kind, name=f"Plain {kind}", comment=comment))
        assert book.title == f"Plain {kind}" and book.authors == [] and book.page_count == 2


def test_rar_comment_reader_survives_truncation(tmp_path: Path) -> None:
    for version in (4, 5):
        data = make_cbr(tmp_path / "c.cbr", pages=1, rar_version=version, comment=b'{"x": 1}').read_bytes()
        assert rar_comment(tmp_path / "c.cbr") == b'{"x": 1}'
        for cut in range(0, 120, 3):
            (tmp_path / "cut.cbr").write_bytes(data[:cut])
            assert rar_comment(tmp_path / "cut.cbr") in (b"", b'{"x": 1}')


# -- generated: every form, every container, names in any script --------------------------------

names = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zs", "Zl", "Zp"],
                              exclude_characters=",;<>&\ufffe\uffff"), min_size=1, max_size=12)  # fmt: skip
OTHER_ROLES = {
    "inker": ("Inker", "inker", "Inker"),
    "colorist": ("Colorist", "colorist", "Colorist"),
    "letterer": ("Letterer", "letterer", "Letterer"),
    "cover artist": ("CoverArtist", "coverDesigner", "Cover"),
    "editor": ("Editor", "editor", "Editor"),
}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    form=st.sampled_from(["comicinfo", "comet", "comicbookinfo"]),
    kind=st.sampled_from(KINDS),
    series=names,
    issue=st.integers(min_value=1, max_value=9999),
    title=st.none() | names,
    writers=st.lists(names, min_size=1, max_size=3, unique=True),
    others=st.lists(st.tuples(names, st.sampled_from(sorted(OTHER_ROLES))), max_size=4, unique_by=lambda t: t[0]),
)
def test_generated_comics_keep_titles_series_and_credits_apart(
    tmp_path_factory: pytest.TempPathFactory, form: str, kind: str, series: str, issue: int, title: str | None,
    writers: list[str], others: list[tuple[str, str]],
) -> None:  # fmt: skip
    others = [(name, role) for name, role in others if name not in writers]
    folder = tmp_path_factory.mktemp("comic")
    at = {"comicinfo": 0, "comet": 1, "comicbookinfo": 2}[form]
    if form == "comicinfo":
        fields: dict[str, object] = {"Series": series, "Number": str(issue), "Writer": ", ".join(writers)}
        for name, role in others:
            key = OTHER_ROLES[role][at]
            fields[key] = ", ".join(filter(None, [str(fields.get(key, "")), name]))
        fields |= {"Title": title} if title else {}
        path = archive(folder, kind, comicinfo=fields)
    elif form == "comet":
        comet: dict[str, object] = {"series": series, "issue": str(issue), "writer": writers}
        for name, role in others:
            comet.setdefault(OTHER_ROLES[role][at], []).append(name)  # type: ignore[union-attr]
        comet |= {"title": title} if title else {}
        path = archive(folder, kind, comet=comet)
    else:
        credits = [{"person": w, "role": "Writer"} for w in writers]
        credits += [{"person": name, "role": OTHER_ROLES[role][at]} for name, role in others]
        cbi: dict[str, object] = {"series": series, "issue": issue, "credits": credits}
        cbi |= {"title": title} if title else {}
        path = archive(folder, kind, comment=comicbookinfo_comment(cbi))
    book = read_book(path)
    assert book.title == (title or series)
    assert (book.series, book.series_index) == (series, float(issue))
    assert book.authors == writers
    assert sorted((c.name, c.role) for c in book.contributors) == sorted(others)
