"""Generated covers: any title and author draw a readable JPEG, and the key follows the text."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from bookshelf.formats import placeholder

TEXT = st.one_of(st.none(), st.text(max_size=400))


@settings(max_examples=200, deadline=None)
@given(title=TEXT, author=TEXT, series=TEXT)
def test_any_text_draws_a_cover(title: str | None, author: str | None, series: str | None) -> None:
    data = placeholder.render(title, author, series)
    img = Image.open(io.BytesIO(data))
    assert img.format == "JPEG" and img.size == (placeholder.WIDTH, placeholder.HEIGHT)


@given(a=st.text(max_size=60), b=st.text(max_size=60))
def test_the_key_names_the_text(a: str, b: str) -> None:
    assert (placeholder.placeholder_key(a, "x", None) == placeholder.placeholder_key(b, "x", None)) == (a == b)


def test_series_label_and_token() -> None:
    assert placeholder.series_label("Earthsea", 2.0) == "Earthsea #2"
    assert placeholder.series_label("Earthsea", 1.5) == "Earthsea #1.5"
    assert placeholder.series_label(None, 3.0) is None
    token = placeholder.book_token("A Wizard of Earthsea", ["Ursula K. Le Guin"], "Earthsea", 1.0)
    assert token.startswith("g") and len(token) == 65
    assert token != placeholder.book_token("A Wizard of Earthsea", ["Ursula K. Le Guin"], "Earthsea", 2.0)
