"""Shared by the acceptance scripts: finding calibre's command-line tools, running them, reading
`ebook-meta`'s text output, and the varied metadata of the generated corpus.

Not a test helper: calibre is not installed in CI, so nothing under tests/ imports this.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TITLES = [
    "Война и мир", "吾輩は猫である", "Les Misérables", "Über die Brücke", "The Left Hand of Darkness",
    "Cien años de soledad", "Ensaio sobre a cegueira", "Ο Ζορμπάς", "Crime and Punishment", "ノルウェイの森",
    "L'Étranger", "Preußische Märchen", "Мастер и Маргарита", "A Wizard of Earthsea", "Ærø og Ålborg",
    "Il nome della rosa", "Pan Tadeusz", "Dune: Messiah", "Straße der Ölbäume", "Tōkyō Nights",
]  # fmt: skip
AUTHORS = [
    "Лев Толстой", "夏目 漱石", "Émile Zola", "Ursula K. Le Guin", "José Saramago", "Nguyễn Du",
    "Fyodor Dostoevsky", "村上 春樹", "Albert Camus", "Михаил Булгаков", "Umberto Eco", "Gabriel García Márquez",
    "Søren Kierkegaard", "Frank Herbert", "Adam Mickiewicz", "Νίκος Καζαντζάκης",
]  # fmt: skip
SERIES = ["Earthsea", "Хроники", "Les Rougon-Macquart", "物語シリーズ", "Dune Chronicles", "Saga"]
LANGUAGES = ["en", "ru", "ja", "fr", "de", "pt", "es", "it", "el", "pl"]


@dataclass
class SourceMeta:
    """The metadata one generated book is given when calibre converts or adds it."""

    title: str
    authors: list[str]
    series: str | None = None
    series_index: float | None = None
    isbn: str | None = None
    language: str | None = None
    tags: list[str] = field(default_factory=list)
    cover: str | None = None  # "jpeg" | "png" | None


def calibre_tool(name: str) -> str:
    """Path of a calibre command, or exit with a hint: these checks need calibre installed."""
    found = shutil.which(name)
    if not found:
        sys.exit(f"{name} not found: install calibre first (apt-get install -y calibre)")
    return found


def calibre_env() -> dict[str, str]:
    # calibre's Qt WebEngine (PDF output) refuses to run as root with its sandbox on, and needs no display.
    env = dict(os.environ)
    env.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.setdefault("CALIBRE_CONFIG_DIRECTORY", str(Path(os.environ.get("TMPDIR", "/tmp")) / "bookshelf-calibre-config"))
    return env


def run_calibre(args: list[str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [calibre_tool(args[0]), *args[1:]], capture_output=True, text=True, env=calibre_env(), timeout=timeout
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])} failed ({result.returncode}): {result.stderr[-2000:]}")
    return result


def isbn13_of(seed: int) -> str:
    from bookshelf.formats.isbn import isbn13_check

    body = f"978{seed:09d}"[:12]
    return body + isbn13_check(body)


def isbn10_of(seed: int) -> str:
    from bookshelf.formats.isbn import isbn10_check

    body = f"{seed:09d}"[-9:]
    return body + isbn10_check(body)


def varied_meta(i: int, rng: random.Random) -> SourceMeta:
    """Book i of the corpus: unicode titles and authors, some with several authors, series with
    fractional indexes, ISBN-13 and ISBN-10, many languages, JPEG, PNG or no cover."""
    title = f"{TITLES[i % len(TITLES)]} {i}"
    count = 1 + (i % 3 == 0) + (i % 7 == 0)
    authors = list(dict.fromkeys(AUTHORS[(i + k * 5) % len(AUTHORS)] for k in range(count)))
    meta = SourceMeta(title, authors, language=LANGUAGES[i % len(LANGUAGES)])
    if i % 2 == 0:
        meta.series = SERIES[i % len(SERIES)]
        meta.series_index = [1.0, 2.0, 3.5, 10.0][i % 4]
    if i % 4 == 1:
        meta.isbn = isbn13_of(rng.randrange(10**8, 10**9))
    elif i % 4 == 2:
        meta.isbn = isbn10_of(rng.randrange(10**8, 10**9))
    meta.tags = [f"Tag {i % 9}", "Fiction" if i % 2 else "Ficción"]
    meta.cover = ["jpeg", "png", None][i % 3]
    return meta


def write_cover(path: Path, kind: str, i: int) -> Path:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (600, 900), ((i * 37) % 256, (i * 91) % 256, (i * 53) % 256))
    ImageDraw.Draw(img).rectangle((50, 50, 550, 300), fill=(255, 255, 255))
    img.save(path, "JPEG" if kind == "jpeg" else "PNG")
    return path


def write_source_html(path: Path, meta: SourceMeta, chapters: int = 3) -> Path:
    from html import escape

    body = "".join(
        f"<h1>Chapter {c + 1}</h1>" + f"<p>{escape(meta.title)}: paragraph text of chapter {c + 1}. </p>" * 30
        for c in range(chapters)
    )
    path.write_text(
        f'<html><head><meta charset="utf-8"><title>{escape(meta.title)}</title></head><body>{body}</body></html>',
        encoding="utf-8",
    )
    return path


# --- ebook-meta's text output --------------------------------------------------------------

_LINE = re.compile(r"^(\S[^:]*?)\s*:\s(.*)$")


def parse_ebook_meta(text: str) -> dict[str, str]:
    """`Title   : X` lines into {"Title": "X"}; continuation lines (comments) are dropped."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        match = _LINE.match(line)
        if match and match.group(1) not in out:
            out[match.group(1).strip()] = match.group(2).strip()
    return out


def meta_authors(value: str | None) -> list[str]:
    if not value:
        return []
    value = re.sub(r"\s*\[[^\]]*\]\s*$", "", value)  # the trailing [author sort]
    return [a.strip() for a in value.split(" & ") if a.strip()]


def meta_series(value: str | None) -> tuple[str | None, float | None]:
    if not value:
        return None, None
    name, sep, index = value.rpartition(" #")
    if not sep:
        return value.strip(), None
    try:
        return name.strip(), float(index)
    except ValueError:
        return value.strip(), None


def meta_identifiers(value: str | None) -> dict[str, str]:
    out = {}
    for part in (value or "").split(","):
        key, sep, val = part.strip().partition(":")
        if sep:
            out[key.strip().lower()] = val.strip()
    return out


def norm_text(value: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", value or "").casefold().split())
