"""XML from book files is parsed with entity declarations refused, in every encoding expat accepts."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from bookshelf.formats import FormatError, read_book
from bookshelf.formats.safexml import parse_xml

PACKAGE = Path(__file__).resolve().parents[2] / "bookshelf"
LAUGHS = '<!DOCTYPE r [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><r>&b;</r>'


@pytest.mark.parametrize("codec", ["utf-8", "utf-16", "utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("declared", [True, False])
def test_entity_declarations_are_refused_in_every_encoding(codec: str, declared: bool) -> None:
    # Expat reads a document as UTF-16 from '<' and a zero byte alone, with no BOM and no declaration.
    text = ('<?xml version="1.0" encoding="UTF-16"?>' if declared and "16" in codec else "") + LAUGHS
    with pytest.raises(FormatError) as caught:
        parse_xml(text.encode(codec), "test document")
    assert caught.value.reason == "bad_xml"


@pytest.mark.parametrize("codec", ["utf-8", "utf-16", "utf-16-le", "utf-16-be"])
def test_plain_documents_still_parse_in_every_encoding(codec: str) -> None:
    assert parse_xml("<r>Cien años</r>".encode(codec), "test document").text == "Cien años"


def test_an_epub_whose_opf_hides_entities_in_utf16_fails_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "laughs.epub"
    container = ('<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:'
                 'container"><rootfiles><rootfile full-path="content.opf" media-type="application/oebps-package+xml"'
                 "/></rootfiles></container>")  # fmt: skip
    opf = (
        '<!DOCTYPE package [<!ENTITY t "Expanded">]>'
        '<package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>&t;</dc:title></metadata></package>'
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")
        archive.writestr("META-INF/container.xml", container)
        archive.writestr("content.opf", opf.encode("utf-16-le"))
    with pytest.raises(FormatError) as caught:
        read_book(path)
    assert "entities" in caught.value.message


def test_untrusted_xml_goes_through_safexml_only() -> None:
    # ElementTree is fine for *building* documents (OPDS feeds); parsing must use formats/safexml.py.
    parsing = re.compile(
        r"\b(ET|ElementTree|etree|minidom|pulldom|sax|expat)\.(fromstring|parse|iterparse|XML|"
        r"XMLParser|XMLPullParser|parseString|ParserCreate|make_parser)\b|\bimport lxml|from lxml"
    )
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "safexml.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if parsing.search(line):
                offenders.append(f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}")
    assert offenders == []
