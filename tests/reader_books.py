"""EPUBs for the reader tests: many chapters of given XHTML, long prose, fixed layout, large ones."""

from __future__ import annotations

import random
import zipfile
import zlib
from html import escape
from pathlib import Path

from tests.builders import make_jpeg

CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>"""

WORDS = (
    "river stone lantern orchard meadow harbour winter copper quiet letter morning garden "
    "window shadow bridge willow candle thunder island velvet ember basket pebble whistle"
).split()


def xhtml(body: str, title: str = "Chapter", head: str = "", body_attrs: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" lang="en">'
        f"<head><title>{escape(title)}</title>{head}</head><body{body_attrs}>{body}</body></html>"
    )


def prose(seed: int, paragraphs: int, words: int = 60) -> str:
    """Paragraphs of numbered sentences: every paragraph's start is unique, so text finds its place."""
    rng = random.Random(seed)
    out = []
    for n in range(paragraphs):
        text = " ".join(rng.choice(WORDS) for _ in range(words))
        out.append(f"<p>Paragraph {seed}.{n + 1}: {text}.</p>")
    return "".join(out)


def make_chapters_epub(
    path: Path,
    chapters: list[str],
    title: str = "Many Chapters",
    fixed_layout: bool = False,
    resources: dict[str, tuple[str, bytes]] | None = None,
    compress: bool = True,
) -> Path:
    """An EPUB 3 whose spine is ``chapters`` (whole XHTML documents), with a nav listing them.

    ``resources`` maps a name under OEBPS/ to (media type, bytes), e.g. images the chapters show.
    """
    resources = resources or {}
    items = [
        f'<item id="c{i}" href="c{i}.xhtml" media-type="application/xhtml+xml"/>' for i in range(1, len(chapters) + 1)
    ]
    items.append('<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>')
    items += [
        f'<item id="r{i}" href="{name}" media-type="{kind}"/>' for i, (name, (kind, _)) in enumerate(resources.items())
    ]
    spine = "".join(f'<itemref idref="c{i}"/>' for i in range(1, len(chapters) + 1))
    fixed = (
        '<meta property="rendition:layout">pre-paginated</meta><meta property="rendition:spread">none</meta>'
        if fixed_layout
        else ""
    )
    opf = f"""<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="uid"
  prefix="rendition: http://www.idpf.org/vocab/rendition/#">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:identifier id="uid">urn:uuid:0f9b7a52-3c1e-4d7a-9a55-{zlib.crc32(title.encode()):012d}</dc:identifier>
    <dc:title>{escape(title)}</dc:title><dc:creator>Ann Author</dc:creator><dc:language>en</dc:language>
    <meta property="dcterms:modified">2024-01-01T00:00:00Z</meta>{fixed}
  </metadata>
  <manifest>{"".join(items)}</manifest>
  <spine>{spine}</spine>
</package>"""
    links = "".join(f'<li><a href="c{i}.xhtml">Chapter {i}</a></li>' for i in range(1, len(chapters) + 1))
    nav = xhtml(f'<nav epub:type="toc"><h1>Contents</h1><ol>{links}</ol></nav>', "Contents")
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")
        zf.writestr("META-INF/container.xml", CONTAINER, zipfile.ZIP_DEFLATED)
        zf.writestr("OEBPS/content.opf", opf, zipfile.ZIP_DEFLATED)
        zf.writestr("OEBPS/nav.xhtml", nav, zipfile.ZIP_DEFLATED)
        for i, chapter in enumerate(chapters, 1):
            zf.writestr(f"OEBPS/c{i}.xhtml", chapter, method)
        for name, (_, data) in resources.items():
            zf.writestr(f"OEBPS/{name}", data, zipfile.ZIP_STORED)
    return Path(path)


def make_prose_epub(path: Path, chapters: int = 4, paragraphs: int = 40, title: str = "Long Prose") -> Path:
    return make_chapters_epub(
        path, [xhtml(f"<h1>Chapter {c}</h1>{prose(c, paragraphs)}", f"Chapter {c}") for c in range(1, chapters + 1)],
        title,
    )  # fmt: skip


def make_fixed_layout_epub(path: Path, pages: int = 3, title: str = "Picture Pages") -> Path:
    """A pre-paginated EPUB: each page a 600x800 viewport with an image and a caption."""
    resources = {
        f"p{i}.jpg": ("image/jpeg", make_jpeg(600, 800, color=(30 * i % 255, 120, 80))) for i in range(1, pages + 1)
    }
    head = '<meta name="viewport" content="width=600, height=800"/>'
    chapters = [
        xhtml(f'<div style="position:absolute;inset:0"><img src="p{i}.jpg" alt="" style="width:600px;height:800px"/>'
              f'<p style="position:absolute;top:20px;left:20px">Fixed page {i}</p></div>',
              f"Page {i}", head, ' style="margin:0;width:600px;height:800px"')
        for i in range(1, pages + 1)
    ]  # fmt: skip
    return make_chapters_epub(path, chapters, title, fixed_layout=True, resources=resources)


def make_large_epub(path: Path, megabytes: int = 50, chapters: int = 40, title: str = "A Very Large Book") -> Path:
    """About ``megabytes`` of EPUB: prose chapters plus incompressible images stored (as large books are)."""
    rng = random.Random(7)
    image_count = max(1, megabytes)
    resources = {f"img{i}.jpg": ("image/jpeg", _big_jpeg(rng)) for i in range(image_count)}
    per = max(1, image_count // chapters)
    texts = []
    for c in range(1, chapters + 1):
        imgs = "".join(
            f'<p><img src="img{i}.jpg" alt=""/></p>' for i in range((c - 1) * per, min(image_count, c * per))
        )
        texts.append(xhtml(f"<h1>Chapter {c}</h1>{prose(c, 120)}{imgs}", f"Chapter {c}"))
    return make_chapters_epub(path, texts, title, resources=resources)


def _big_jpeg(rng: random.Random) -> bytes:
    # A JPEG header and about a megabyte of noise after it: incompressible, and only fetched if shown.
    return make_jpeg(8, 8) + rng.randbytes(1_000_000)


def make_large_pdf(path: Path, pages: int = 500, title: str = "A Very Long Manual") -> Path:
    """``pages`` pages, each with its number and a photo-like image of its own (tens of KB a page)."""
    import pymupdf

    doc = pymupdf.open()
    for i in range(pages):
        page = doc.new_page(width=420, height=595)
        page.insert_text((40, 60), f"Page {i + 1}", fontsize=18)
        page.insert_image(
            pymupdf.Rect(40, 90, 380, 560), stream=make_jpeg(160, 220, color=(i % 255, 80, 120), noise=True)
        )
    doc.set_metadata({"title": title, "author": "Ann Author"})
    # Page dictionaries packed in object streams, as PDF 1.5+ writers do. pdf.js checks the last page
    # on opening by walking the page tree, so a flat tree of page objects strewn through the file
    # (MuPDF's default layout) would make it read nearly every byte range of the file.
    doc.save(str(path), use_objstms=1)
    doc.close()
    return Path(path)


def make_outlined_pdf(path: Path, pages: int = 12, title: str = "An Outlined Manual") -> Path:
    """A PDF with words on every page and an outline (its contents): Part One at 1, Part Two at 6, Inner at 8."""
    import pymupdf

    doc = pymupdf.open()
    for i in range(pages):
        page = doc.new_page(width=300, height=450)
        # The title on every page: KOReader's document id samples the start of a small file.
        page.insert_text((30, 60), f"{title}, page {i + 1}", fontsize=14)
        page.insert_text((30, 90), f"{WORDS[i % len(WORDS)]} marker{i + 1}", fontsize=12)
    doc.set_toc([[1, "Part One", 1], [1, "Part Two", 6], [2, "Inner Part", 8]])
    doc.set_metadata({"title": title, "author": "Ann Author"})
    doc.save(str(path))
    doc.close()
    return Path(path)
