"""PDF series and ISBN from XMP in the shapes calibre writes (calibre:series, xmp:Identifier,
prism:isbn): found by checking bookshelf against calibre's ebook-meta on PDFs calibre made."""

from __future__ import annotations

from pathlib import Path

from bookshelf.formats import read_book
from tests.builders import make_pdf

XMP = """<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/"
  xmlns:xmpidq="http://ns.adobe.com/xmp/Identifier/qual/1.0/" rdf:about="">
{identifier}
</rdf:Description>
<rdf:Description xmlns:prism="http://prismstandard.org/namespaces/basic/2.0/" rdf:about="">{prism}</rdf:Description>
<rdf:Description xmlns:calibre="http://calibre-ebook.com/xmp-namespace"
  xmlns:calibreSI="http://calibre-ebook.com/xmp-namespace-series-index" rdf:about="">
{series}
<calibre:timestamp>2026-01-01T00:00:00+00:00</calibre:timestamp>
</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"""

SERIES = """<calibre:series rdf:parseType="Resource"><rdf:value>{name}</rdf:value>
<calibreSI:series_index>{index}</calibreSI:series_index></calibre:series>"""
IDENTIFIER = """<xmp:Identifier><rdf:Bag><rdf:li rdf:parseType="Resource">
<xmpidq:Scheme>{scheme}</xmpidq:Scheme><rdf:value>{value}</rdf:value></rdf:li></rdf:Bag></xmp:Identifier>"""


def pdf_with_xmp(path: Path, series: str = "", identifier: str = "", prism: str = "") -> Path:
    import pymupdf

    make_pdf(path.with_suffix(".src.pdf"), title="Earthsea Tales", author="Ursula K. Le Guin", pages=1)
    with pymupdf.open(str(path.with_suffix(".src.pdf"))) as doc:
        doc.set_xml_metadata(XMP.format(series=series, identifier=identifier, prism=prism))
        doc.save(str(path))
    return path


def test_calibre_series_and_index(tmp_path: Path) -> None:
    book = read_book(pdf_with_xmp(tmp_path / "a.pdf", series=SERIES.format(name="Хроники Earthsea", index="3.50")))
    assert (book.series, book.series_index) == ("Хроники Earthsea", 3.5)
    assert book.title == "Earthsea Tales"  # the rest of the metadata is untouched


def test_isbn_from_xmp_identifier_in_either_length(tmp_path: Path) -> None:
    book = read_book(pdf_with_xmp(tmp_path / "b.pdf", identifier=IDENTIFIER.format(scheme="isbn", value="0441478123")))
    assert (book.isbn10, book.isbn13) == ("0441478123", "9780441478125")
    other = read_book(pdf_with_xmp(tmp_path / "c.pdf", prism="<prism:isbn>978-0-441-47812-5</prism:isbn>"))
    assert other.isbn13 == "9780441478125"


def test_no_series_or_bad_values_give_nothing(tmp_path: Path) -> None:
    book = read_book(
        pdf_with_xmp(
            tmp_path / "d.pdf",
            series=SERIES.format(name="Saga", index="not a number"),
            identifier=IDENTIFIER.format(scheme="uuid", value="9780441478125"),
            prism="<prism:isbn>123</prism:isbn>",
        )
    )
    assert (book.series, book.series_index) == ("Saga", None)
    assert book.isbn13 is None  # a uuid that looks like an ISBN and an invalid ISBN are not taken
    plain = read_book(pdf_with_xmp(tmp_path / "e.pdf"))
    assert (plain.series, plain.series_index, plain.isbn13) == (None, None, None)
