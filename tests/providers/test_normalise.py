"""Field normalisation shared by the providers: HTML, ISBNs, years, languages, redaction."""

from __future__ import annotations

import pytest

from bookshelf.providers.normalise import (
    clean_isbn,
    language_code,
    search_title,
    split_isbns,
    strip_html,
    to_isbn10,
    to_isbn13,
    year_from,
)
from bookshelf.providers.transport import redact


def test_strip_html_keeps_paragraphs_and_entities():
    html = "<p>One <b>bold</b> &amp; <i>true</i>.</p><p>Two<br>lines &ldquo;x&rdquo;</p>"
    assert strip_html(html) == "One bold & true.\n\nTwo\nlines “x”"
    assert strip_html("<p>wrapped\nsource</p>") == "wrapped source"
    assert strip_html("plain  text") == "plain text"
    assert strip_html("") is None and strip_html("<p> </p>") is None


@pytest.mark.parametrize(("raw", "expected"), [
    ("978-0-441-17271-9", "9780441172719"), ("0-441-17271-7", "0441172717"),
    ("ISBN 059309932x", "059309932X"), ("9780441172710", None), ("12345", None), (None, None)])
def test_clean_isbn_validates_checksums(raw, expected):
    assert clean_isbn(raw) == expected


def test_isbn_conversions():
    assert to_isbn13("0441172717") == "9780441172719"
    assert to_isbn10("9780441172719") == "0441172717"
    assert to_isbn10("9791234567896") is None  # 979 ISBNs have no ISBN-10
    assert split_isbns(["junk", "9780441172719", "0441172717"]) == ("0441172717", "9780441172719")


@pytest.mark.parametrize(("raw", "year"), [
    ("1990", 1990), ("2019-10", 2019), ("2005-08-02", 2005), ("September 1, 1990", 1990),
    ("Sep 01, 1990", 1990), (1965, 1965), ("unknown", None), (None, None)])
def test_year_from(raw, year):
    assert year_from(raw) == year


@pytest.mark.parametrize(("raw", "code"), [
    ("en", "en"), ("en-GB", "en"), ("/languages/eng", "en"), ("fre", "fr"), ("ger", "de"),
    ("xyz", "xyz"), ("", None)])
def test_language_code(raw, code):
    assert language_code(raw) == code


def test_search_title_drops_subtitles_and_series_notes():
    assert search_title("Dune: Deluxe Edition") == "Dune"
    assert search_title("Dune Messiah (Dune #2)") == "Dune Messiah"
    assert search_title("Re: Zero") == "Re"  # the documented hygiene, imperfect by design


def test_redact_hides_keys_and_tokens():
    assert redact("GET /volumes?q=x&key=SECRET&x=1") == "GET /volumes?q=x&key=***&x=1"
    assert redact("Authorization: Bearer hc_pat_abc") == "Authorization: Bearer ***"
