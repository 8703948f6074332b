"""KOReader XPointers over XHTML as crengine counts them: whitespace, span-split words, sections, images."""

from __future__ import annotations

import shutil
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bookshelf.formats import EpubMetadata, write_epub_metadata
from bookshelf.formats.epub_spine import EpubText
from bookshelf.formats.koreader_hash import koreader_partial_md5
from bookshelf.formats.xpointer import XPointer, find_text, parse_xhtml, resolve, text_from, text_in_order, xpointer_of
from tests.builders import make_png

CALIBRE = b"""<?xml version='1.0' encoding='utf-8'?>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>x</title></head>
<body class="calibre">
  <div class="calibre1">
    <p class="calibre2">First   paragraph,
    wrapped.</p>
    <p class="calibre2">Sec<span class="c">on</span>d <i>word</i> split.</p>
    <div><img src="a.jpg" alt=""/></div>
    <p class="calibre2">Third &amp; last&#160;one.</p>
  </div>
</body></html>"""
PANDOC = b"""<html xmlns="http://www.w3.org/1999/xhtml"><body>
<section id="a"><h1>One</h1>
<section id="b"><h2>Inner</h2>
<p>Deep text here.</p><!-- a comment -->
<p>After <em>the</em> comment.</p></section></section></body></html>"""


def test_calibre_markup_counts_as_crengine_does() -> None:
    body = parse_xhtml(CALIBRE)
    # The first whitespace of a block is dropped, runs of whitespace collapse to one space.
    assert find_text(body, 3, "paragraph") == "/body/DocFragment[3]/body/div/p[1]/text().6"
    assert find_text(body, 3, "d ") == "/body/DocFragment[3]/body/div/p[2]/text()[2].0"
    assert find_text(body, 3, "on") == "/body/DocFragment[3]/body/div/p[2]/span/text().0"
    assert find_text(body, 3, "last") == "/body/DocFragment[3]/body/div/p[3]/text().8"
    xp = XPointer.parse("/body/DocFragment[3]/body/div/p[1]/text().6")
    assert xp is not None
    point = resolve(body, xp)
    assert point is not None and text_from(body, point, 19) == "paragraph, wrapped."
    image = XPointer.parse("/body/DocFragment[3]/body/div/div/img")
    assert image is not None and resolve(body, image) is not None
    assert resolve(body, XPointer.parse("/body/DocFragment[3]/body/div/p[4]/text().0")) is None  # type: ignore[arg-type]


def test_nested_sections_and_comments() -> None:
    body = parse_xhtml(PANDOC)
    assert find_text(body, 1, "Deep") == "/body/DocFragment[1]/body/section/section/p[1]/text().0"
    assert find_text(body, 1, "comment.") == "/body/DocFragment[1]/body/section/section/p[2]/text()[2].1"


def test_parse_accepts_koreader_forms_and_refuses_others() -> None:
    assert XPointer.parse("/body/DocFragment[2]/body/p[1]/text()[1].0") is not None
    assert XPointer.parse("/body/DocFragment[2]/body") is not None
    for bad in ("12", "", "/body/DocFragment[0]/body/p", "/body/DocFragment[1]/body/text()/p", "/x/y"):
        assert XPointer.parse(bad) is None


WORDS = st.text(alphabet="ab \n\t\u00e9\U0001f600", min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["p", "span", "div", "em"]), WORDS, WORDS), min_size=1, max_size=8))
def test_every_position_round_trips(parts: list[tuple[str, str, str]]) -> None:
    from xml.sax.saxutils import escape

    inner = "".join(f"<{tag}>{escape(a)}</{tag}>{escape(b)}" for tag, a, b in parts)
    body = parse_xhtml(f'<html xmlns="http://www.w3.org/1999/xhtml"><body><div>{inner}</div></body></html>'.encode())
    for text in text_in_order(body):
        for offset in range(len(text.value) + 1):
            xp = XPointer.parse(xpointer_of(body, 7, text, offset))
            assert xp is not None
            point = resolve(body, xp)
            assert point is not None and point.node is text and point.offset == offset


def test_every_position_in_leaves_epub_round_trips_and_survives_the_metadata_rewrite(
    koreader_data: Path, tmp_path: Path
) -> None:
    """KOReader's own sample book: each text node's XPointer resolves to it, in the file as uploaded
    and in the copy organize writes with new metadata and cover (another document id, same XPointers)."""
    source = koreader_data / "leaves.epub"
    rewritten = tmp_path / "leaves.epub"
    shutil.copyfile(source, rewritten)
    write_epub_metadata(rewritten, EpubMetadata(title="Leaves, organized", authors=["Walt Whitman"]), make_png())
    assert koreader_partial_md5(rewritten) != koreader_partial_md5(source)
    before, after = EpubText(source), EpubText(rewritten)
    assert after.names == before.names
    checked = 0
    for fragment in range(1, len(before.names) + 1):
        body = before.body(fragment)
        for node in list(text_in_order(body))[::7]:
            for offset in sorted({0, len(node.value) // 2, len(node.value)}):
                xpointer = xpointer_of(body, fragment, node, offset)
                xp = XPointer.parse(xpointer)
                assert xp is not None, xpointer
                point = resolve(body, xp)
                assert point is not None and point.node is node and point.offset == offset, xpointer
                assert after.text_at(xpointer) == before.text_at(xpointer) == text_from(body, point, 40)
                checked += 1
    assert checked > 1000, checked
