"""The browser's XPointers (static/reader/xpointer.js in Chromium) and the server's (formats/xpointer.py) agree.

Both sides list every position of a document (each element, each character offset of each text node
crengine keeps) with the text found there; each side's XPointers must resolve on the other side to the
same text, and over generated markup both must list the very same XPointers.
"""

from __future__ import annotations

from collections.abc import Iterator
from html import escape
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookshelf.formats.epub_spine import EpubText
from bookshelf.formats.xpointer import (
    Text,
    XPointer,
    elements,
    parse_xhtml,
    resolve,
    text_from,
    text_in_order,
    xpointer_of,
)
from tests.strict import REPO_ROOT, shared_path
from tests.ui_browser import launch_browser

ORIGIN = "http://xpointer.test"
SCRIPT = REPO_ROOT / "bookshelf/web/ui/static/reader/xpointer.js"
LENGTH = 24
SAMPLE = 40  # nodes per document in a large book

# Every position the browser sees: elements, and each code-point offset of each kept text node
# (or, when `sample`, its first, middle and last offsets only).
POSITIONS_JS = """([src, fragment, theirs, sample]) => {
  const X = window.XP;
  const doc = new DOMParser().parseFromString(src, "application/xhtml+xml");
  const broken = doc.getElementsByTagName("parsererror")[0];
  if (broken) return { error: broken.textContent };
  const body = doc.getElementsByTagName("body")[0];
  const nodes = [];
  const walker = doc.createTreeWalker(body, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.nodeType === 1 || X.kept(n.parentNode).includes(n)) nodes.push(n);
  }
  const stride = sample ? Math.max(1, Math.floor(nodes.length / %d)) : 1;
  const mine = [];
  const add = (node, offset) => {
    const xp = X.xpointerOf(fragment, node, offset);
    mine.push([xp, X.textFrom(doc, xp, %d)]);
  };
  nodes.forEach((n, k) => {
    if (k %% stride) return;
    if (n.nodeType === 1) { add(n, 0); return; }
    const bounds = [0]; let i = 0;
    for (const ch of n.data) { i += ch.length; bounds.push(i); }
    for (const o of sample ? [...new Set([0, bounds[bounds.length >> 1], i])] : bounds) add(n, o);
  });
  return { mine, resolved: theirs.map((xp) => X.textFrom(doc, xp, %d)) };
}""" % (SAMPLE, LENGTH, LENGTH)  # noqa: UP031 (braces of JavaScript)


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    script = SCRIPT.read_text()
    for browser in launch_browser():
        page = browser.new_page()

        # One parameter only: Playwright passes the request as a second argument to handlers that take two.
        def serve(route: Any) -> None:
            if route.request.url.endswith("/xpointer.js"):
                route.fulfill(body=script, content_type="text/javascript")
            else:
                route.fulfill(body="<!doctype html><title>x</title>", content_type="text/html")

        page.route(f"{ORIGIN}/**", serve)
        page.goto(f"{ORIGIN}/")
        page.evaluate("async () => { window.XP = await import('/xpointer.js'); }")
        yield page


def python_positions(data: bytes, fragment: int, sample: bool) -> list[tuple[str, str | None]]:
    body = parse_xhtml(data)
    nodes: list[Any] = [el for el in elements(body) if el is not body] + list(text_in_order(body))
    if sample:
        nodes = nodes[:: max(1, len(nodes) // SAMPLE)]
    out = []
    for node in nodes:
        if not isinstance(node, Text):
            out.append(xpointer_of(body, fragment, node))
            continue
        n = len(node.value)
        out.extend(xpointer_of(body, fragment, node, o) for o in (sorted({0, n // 2, n}) if sample else range(n + 1)))
    return [(xp, python_text(body, xp)) for xp in out]


def python_text(body: Any, xpointer: str) -> str | None:
    xp = XPointer.parse(xpointer)
    point = resolve(body, xp) if xp else None
    return None if point is None else text_from(body, point, LENGTH)


def check(page: Any, data: bytes, fragment: int = 1, sample: bool = False) -> None:
    ours = python_positions(data, fragment, sample)
    got = page.evaluate(POSITIONS_JS, [data.decode("utf-8"), fragment, [xp for xp, _ in ours], sample])
    assert "error" not in got, got
    body = parse_xhtml(data)
    # Browser -> server: each XPointer the browser writes names the same text for the server.
    for xp, text in got["mine"]:
        assert xp is not None, got["mine"]
        assert python_text(body, xp) == text, (xp, text, python_text(body, xp), data)
    # Server -> browser: each XPointer the server (or KOReader) writes names the same text in the browser.
    for (xp, text), theirs in zip(ours, got["resolved"], strict=True):
        assert theirs == text, (xp, text, theirs)
    if not sample:
        assert {xp for xp, _ in got["mine"]} == {xp for xp, _ in ours}


def document(body: str, head: str = "") -> bytes:
    return (
        "<?xml version='1.0' encoding='utf-8'?>\n"
        '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">'
        f"<head><title>t</title>{head}</head>{body}</html>"
    ).encode()


CALIBRE = document("""
<body class="calibre">
  <div class="calibre1" id="filepos1">
    <p class="calibre2">First   paragraph,
    wrapped.</p>
    <p class="calibre2">Sec<span class="c">on</span>d <i class="calibre3">word</i> split.</p>
    <div class="calibre4"><img src="a.jpg" alt="" class="calibre5"/></div>
    <p class="calibre2">Third &amp; last&#160;one.</p>
  </div>
</body>""")
SIGIL = document("""<body>
  <h1 id="sigil_toc_id_1">Chapter  One</h1>

  <p>Sigil keeps <b>bold</b> and <i>italic</i>
     on separate lines.</p>
  <p><br/></p>
  <p>Then <a href="#n1" id="r1"><sup>1</sup></a> a note.</p>
  <pre>  code
\t  keeps   its spaces</pre>
</body>""")
PANDOC = document("""<body epub:type="bodymatter">
<section id="one" class="level1" epub:type="chapter"><h1>One</h1>
<section id="inner" class="level2"><h2>Inner</h2>
<p>Deep text here.</p><!-- a comment -->
<p>After <em>the</em> comment.</p>
<figure><img src="f.png" alt="a figure"/><figcaption>A figure</figcaption></figure>
</section></section>
<section id="two" class="level1"><h1>Two</h1><p>😀 Emoji and é accents.</p></section>
</body>""")


@pytest.mark.parametrize("data", [CALIBRE, SIGIL, PANDOC], ids=["calibre", "sigil", "pandoc"])
def test_hand_written_markup_agrees(page, data: bytes) -> None:
    check(page, data, fragment=3)


# Generated markup: blocks and inline elements nested, whitespace-only text between them (as editors
# indent), words split by spans, comments, images, line breaks and <pre>.
TEXT = st.text(alphabet="ab \n\t\u00e9\u00a0\U0001f600&<", min_size=1, max_size=10).map(escape)
SPACE = st.sampled_from(["\n", "\n  ", " ", "\t\n    ", "  "])
LEAF = st.one_of(TEXT, SPACE, st.just('<img src="i.png" alt=""/>'), st.just("<br/>"), st.just("<!-- c -->"))
BLOCKS = ["p", "div", "section", "blockquote", "h2", "li", "figure"]
INLINE = ["span", "i", "b", "em", "a", "small"]


def element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    tag = st.sampled_from(BLOCKS + INLINE + ["pre"])
    return st.builds(lambda t, kids: f"<{t}>{''.join(kids)}</{t}>", tag, st.lists(children, max_size=4))


MARKUP = st.recursive(LEAF, element, max_leaves=14)
WRAPPERS = [
    '<body class="calibre">\n  <div class="calibre1">{}</div>\n</body>',  # calibre
    '<body>\n  <h1 id="sigil_toc_id_1">Title</h1>\n{}\n</body>',  # Sigil
    '<body><section id="s" class="level1">{}</section></body>',  # pandoc
    "<body>{}</body>",
]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(WRAPPERS), st.lists(MARKUP, min_size=1, max_size=5), st.integers(1, 400))
def test_generated_markup_agrees(page, wrapper: str, parts: list[str], fragment: int) -> None:
    check(page, document(wrapper.format("".join(parts))), fragment)


def test_leaves_epub_agrees_in_every_chapter(page) -> None:
    text = EpubText(shared_path("koreader-test-data", "leaves.epub"))
    for fragment, name in enumerate(text.names, 1):
        check(page, text.zf.read(name), fragment, sample=True)
