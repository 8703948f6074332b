"""Acceptance: bookshelf's comic metadata against calibre's `ebook-meta` where calibre reads it.

calibre reads ComicBookInfo (the JSON comic taggers keep in the archive comment) from CBZ
and CBR (CBR only through the non-free unrardll, which Debian's calibre lacks, so this compares
CBZ); it does not read ComicInfo.xml or CoMet. This writes comics with ComicBookInfo in
varied scripts and shapes (title or none, issue, publisher, year, tags, writer and artist
credits written "Last, First", other credits), as CBZ and RAR5 CBR, and compares title,
authors, series, series index, publisher and tags with `ebook-meta`.

Where bookshelf means to differ, the comic is left out of that field's count and said so:
calibre takes the volume before the issue for the series index (bookshelf takes the issue,
the number a reader looks for), counts a Penciller credit as nothing (bookshelf: an author),
names an untitled comic after its file (bookshelf: after its series), and lists a person
credited as writer and as artist twice (bookshelf: once; compared once).

    python scripts/acceptance/comics_vs_calibre.py [--comics 60] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from calibre_tools import meta_authors, meta_series, norm_text, parse_ebook_meta, run_calibre  # noqa: E402

from bookshelf.formats import read_book  # noqa: E402
from tests.builders import comicbookinfo_comment, make_cbz  # noqa: E402

FIELDS = ["title", "authors", "series", "series_index", "publisher", "tags"]
SERIES = ["Okami no Mori", "Серебряный волк", "Ὁ λύκος", "狼の森", "Le Loup Blanc", "Die Wölfe"]
PEOPLE = [("Tanaka", "Yuki"), ("Иванов", "Пётр"), ("Δημητρίου", "Ελένη"), ("Müller", "Jörg"), ("Dubois", "Zoé")]
OTHER_ROLES = ["Inker", "Colorist", "Letterer", "Cover", "Editor"]


def comic_info(i: int, rng: random.Random) -> dict[str, object]:
    credits = [
        {"person": f"{last}, {first}", "role": "Writer"} for last, first in rng.sample(PEOPLE, rng.randint(1, 2))
    ]
    if i % 3 == 0:
        last, first = rng.choice(PEOPLE)
        credits.append({"person": f"{first} {last}", "role": "Artist"})
    credits += [{"person": f"Helper {n}", "role": rng.choice(OTHER_ROLES)} for n in range(rng.randint(0, 2))]
    info: dict[str, object] = {
        "series": rng.choice(SERIES),
        "issue": str(i % 40 + 1),
        "credits": credits,
        "publisher": rng.choice(["Mori Press", "Издательство", "Ἑστία"]),
        "publicationYear": 1990 + i % 30,
        "tags": rng.sample(["wolves", "forest", "snow"], 2),
    }
    if i % 4:
        info["title"] = f"Chapter {i} — {rng.choice(['Dawn', 'Рассвет', 'Αυγή', '夜明け'])}"
    return info


def compare(theirs: dict[str, str], ours: object, info: dict[str, object]) -> dict[str, bool | None]:
    series, index = meta_series(theirs.get("Series"))
    roles = {c["role"] for c in info["credits"]}  # type: ignore[index,union-attr]
    result: dict[str, bool | None] = {
        "title": norm_text(theirs.get("Title")) == norm_text(ours.title) if "title" in info else None,  # type: ignore[attr-defined]
        # calibre lists a person credited as writer and as artist twice; bookshelf once.
        "authors": list(dict.fromkeys(norm_text(a) for a in meta_authors(theirs.get("Author(s)"))))
        == [norm_text(a) for a in ours.authors]
        if "Penciller" not in roles
        else None,  # type: ignore[attr-defined]
        "series": norm_text(series) == norm_text(ours.series),  # type: ignore[attr-defined]
        "series_index": index == ours.series_index if "volume" not in info else None,  # type: ignore[attr-defined]
        "publisher": norm_text(theirs.get("Publisher")) == norm_text(ours.publisher),  # type: ignore[attr-defined]
        "tags": set(map(norm_text, (theirs.get("Tags") or "").split(", "))) <= set(map(norm_text, ours.genres)),  # type: ignore[attr-defined]
    }
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comics", type=int, default=60)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    rng = random.Random(17)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="comics-vs-calibre-"))
    folder.mkdir(parents=True, exist_ok=True)
    agree = {f: 0 for f in FIELDS}
    counted = {f: 0 for f in FIELDS}
    misses: list[str] = []
    for i in range(args.comics):
        info = comic_info(i, rng)
        path = make_cbz(folder / f"comic {i:03d}.cbz", pages=2, comment=comicbookinfo_comment(info))
        theirs = parse_ebook_meta(run_calibre(["ebook-meta", str(path)]).stdout)
        for field, same in compare(theirs, read_book(path), info).items():
            if same is None:
                continue
            counted[field] += 1
            agree[field] += same
            if not same:
                misses.append(f"{path.name}: {field}: calibre {theirs}")
    total = sum(counted.values())
    share = sum(agree.values()) / total if total else 0.0
    for field in FIELDS:
        print(f"{field:13} {agree[field]}/{counted[field]}")
    print(f"agreement {sum(agree.values())}/{total} = {share:.1%} over {args.comics} CBZ comics")
    for line in misses[:20]:
        print("  differs:", line)
    return 0 if share >= 0.95 else 1


if __name__ == "__main__":
    raise SystemExit(main())
