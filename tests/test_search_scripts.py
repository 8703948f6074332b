"""Titles in every script are found by their own text, without their diacritics, and with a typo.

The strategies build each title from plain letters and then decorate it the way the
script is written (accents, tonos and breathings, harakat, hamza carriers and tatweel,
niqqud, Vietnamese tone marks, capitals). The plain text is built independently of
bookshelf's folding, so each folding rule is checked against what a reader would type,
not against itself.
"""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookshelf.folding import fold, sort_key
from bookshelf.models import BookFilter
from bookshelf.runtime import Runtime
from tests.library_books import add_book


@dataclass(frozen=True)
class Script:
    name: str
    letters: str
    marks: str = ""  # combining marks any letter may carry
    swaps: tuple[tuple[str, str], ...] = ()  # (plain letter, decorated form) pairs
    cased: bool = False


LATIN = Script("latin", "abcdefghijklmnopqrstuvwxyz", "\u0301\u0300\u0302\u0308\u0327\u030c\u030a\u0303",
               (("o", "ø"), ("l", "ł"), ("d", "đ"), ("i", "ı")), cased=True)  # fmt: skip
GREEK = Script("greek", "αβγδεζηθικλμνξοπρστυφχψω", "\u0301\u0300\u0313\u0314\u0342\u0308\u0345",
               (("σ", "ς"),), cased=True)  # fmt: skip
CYRILLIC = Script("cyrillic", "абвгдежзиклмнопрстуфхцчшщыэюя", "", (("е", "ё"), ("и", "й")), cased=True)
ARABIC = Script("arabic", "ابتثجحخدذرزسشصضطظعغفقكلمنهوي", "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0640",
                (("ا", "أ"), ("ا", "إ"), ("ا", "آ"), ("ا", "ٱ"), ("و", "ؤ"), ("ي", "ئ"), ("ي", "ى"),
                 ("ه", "ة")))  # fmt: skip
HEBREW = Script("hebrew", "אבגדהוזחטיכלמנסעפצקרשת", "\u05b0\u05b1\u05b2\u05b4\u05b5\u05b6\u05b7\u05b8\u05b9\u05bb"
                "\u05bc\u05c1\u05c2\u0591\u05a5")  # fmt: skip
VIETNAMESE = Script("vietnamese", "abcdeghiklmnopqrstuvxy", "\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b",
                    (("d", "đ"),), cased=True)  # fmt: skip
CJK = Script("cjk", "的一是不了人我在有他这中大来上个国到说们为子和你地出道也时年得就那要下以生会自着去之过家")
SCRIPTS = (LATIN, GREEK, CYRILLIC, ARABIC, HEBREW, VIETNAMESE, CJK)


@dataclass(frozen=True)
class Title:
    script: Script
    plain: list[str]  # what a reader types without the marks
    written: str  # the title as the book has it
    typo: str  # the plain title with one letter of one 4+ letter word changed


@st.composite
def titles(draw: st.DrawFn) -> Title:
    script = draw(st.sampled_from(SCRIPTS))
    # CJK has no spaces: one run of ideographs is one word to the index.
    word = st.text(alphabet=script.letters, min_size=4, max_size=9)
    plain = draw(st.lists(word, min_size=1, max_size=1 if script is CJK else 3))
    written_words = []
    for w in plain:
        out = []
        for letter in w:
            swapped = [d for p, d in script.swaps if p == letter]
            if swapped and draw(st.booleans()):
                letter = draw(st.sampled_from(swapped))
            if script.cased and draw(st.integers(0, 3)) == 0:
                letter = letter.upper()
            out.append(letter)
            if script.marks and draw(st.booleans()):
                out.append(draw(st.sampled_from(script.marks)))
        written_words.append(unicodedata.normalize(draw(st.sampled_from(["NFC", "NFD"])), "".join(out)))
    at = draw(st.integers(0, len(plain) - 1))
    target = plain[at]
    pos = draw(st.integers(0, len(target) - 1))
    other = draw(st.sampled_from([c for c in script.letters if c != target[pos]]))
    typo_words = [*plain]
    typo_words[at] = target[:pos] + other + target[pos + 1 :]
    return Title(script, plain, " ".join(written_words), " ".join(typo_words))


BACKGROUND = [
    ("Ὀδύσσεια", ["Ὅμηρος"]),
    ("ألف ليلة وليلة", ["مجهول"]),
    ("שָׁלוֹם עֲלֵיכֶם", ["שלום עליכם"]),
    ("Truyện Kiều", ["Nguyễn Du"]),
    ("Война и мир", ["Лев Толстой"]),
    ("吾輩は猫である", ["夏目漱石"]),
    ("Les Misérables", ["Victor Hugo"]),
]


@pytest.fixture
async def world_library(runtime: Runtime) -> Runtime:
    for title, authors in BACKGROUND:
        await add_book(runtime, title, authors)
    return runtime


async def _found(rt: Runtime, query: str, book_id: str) -> bool:
    books, _ = await rt.search.page(query, BookFilter(), 50, 0)
    return book_id in [b.id for b in books]


@pytest.mark.anyio  # @given hides the coroutine from conftest's automatic marker
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=titles())
async def test_every_script_is_found_as_written_plain_and_with_a_typo(world_library: Runtime, title: Title) -> None:
    rt = world_library
    author = f"Writer {uuid.uuid4().hex[:6]}"
    book = await add_book(rt, title.written, [author])
    try:
        await rt.search.refresh()  # typo corrections know the new words at once (the inline build may defer)
        plain = " ".join(title.plain)
        assert await _found(rt, title.written, book.id), ("as written", title)
        assert await _found(rt, plain, book.id), ("plain", title)
        assert await _found(rt, plain.upper(), book.id), ("capitals", title)
        assert await _found(rt, title.typo, book.id), ("one typo", title)
        # The sort key of a decorated title is that of its plain text (where it lands in title order).
        assert sort_key(title.written) == sort_key(plain), title
    finally:
        async with rt.db.write() as conn:
            await conn.execute("DELETE FROM books WHERE id = ?", (book.id,))


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=40))
def test_folding_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


WRITTEN_AND_TYPED = [
    ("Ὀδύσσεια", "Οδύσσεια"),
    ("Ὀδύσσεια", "Ὀδύσσεια"),
    ("Ὀδύσσεια", "οδυσσεια"),
    ("Ὀδύσσεια", "Ὅμηρος"),
    ("Ὀδύσσεια", "ομηροσ"),
    ("ألف ليلة وليلة", "ألف"),
    ("ألف ليلة وليلة", "الف ليله"),
    ("ألف ليلة وليلة", "أَلْف لَيْلَة"),
    ("שָׁלוֹם עֲלֵיכֶם", "שלום"),
    ("Truyện Kiều", "truyen kieu"),
    ("Truyện Kiều", "Nguyen"),
    ("Война и мир", "война"),
    ("吾輩は猫である", "吾輩は猫である"),
    ("Les Misérables", "miserables"),
]


async def test_the_reported_queries_find_their_books(world_library: Runtime, api: httpx.AsyncClient) -> None:
    for title, query in WRITTEN_AND_TYPED:
        response = await api.get("/api/library", params={"q": query})
        assert response.status_code == 200, response.text
        assert title in [b["title"] for b in response.json()["data"]], (query, response.json()["data"])
        suggested = await api.get("/api/search/suggest", params={"q": query})
        assert title in [s["title"] for s in suggested.json()["data"]], (query, suggested.json())


async def test_facet_filters_fold_names(world_library: Runtime, api: httpx.AsyncClient) -> None:
    await add_book(world_library, "Ἰλιάς", ["Ὅμηρος"], genres=["Ἔπος"], series="Τρωικός Κύκλος")
    for params in ({"author": "ομηρ"}, {"author": "ΟΜΗΡΟΣ"}, {"genre": "επος"}, {"series": "τρωικος κυκλος"}):
        response = await api.get("/api/library", params=params)
        assert response.status_code == 200, response.text
        assert "Ἰλιάς" in [b["title"] for b in response.json()["data"]], params
