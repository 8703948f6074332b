"""The message a book travels in: bytes intact, subject = title, a safe ASCII name and the real
name in RFC 2231 form, for any title (hypothesis) including ones that try to add headers."""

from __future__ import annotations

import re
import unicodedata
from email import policy, utils
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bookshelf.services.mail.message import book_message, real_name
from bookshelf.services.names import translit

DATA = b"PK\x03\x04" + bytes(range(256)) * 40  # binary, every byte value
BOOK_ID = "3f2c9a71-5b0e-4d8a-9c61-0a7b2e4f9d13"
SAFE_ASCII = re.compile(r"^[A-Za-z0-9 ,.()\[\]&!#+_@~{}$^-]+\.epub$")


def cleaned(text: str) -> str:
    return " ".join("".join(" " if unicodedata.category(c)[0] == "C" else c for c in text).split())


def parse(raw: bytes) -> Message:
    return BytesParser(policy=policy.compat32).parsebytes(raw)


def attachment(message: Message) -> Message:
    parts = [p for p in message.walk() if p.get_content_disposition() == "attachment"]
    assert len(parts) == 1
    return parts[0]


def names(part: Message) -> tuple[str, str]:
    """(the plain filename parameter, the RFC 2231 one decoded)."""
    plain, real = None, None
    for key, value in part.get_params(header="content-disposition") or []:
        if key == "filename" and isinstance(value, tuple):
            real = utils.collapse_rfc2231_value(value)
        elif key == "filename":
            plain = value
    assert plain is not None and real is not None
    return plain, real


def build(title: str, filename: str) -> bytes:
    return book_message(sender="shelf@example.org", to="reader@kindle.com", title=title, filename=filename,
                        fmt="epub", media_type="application/epub+zip", data=DATA, book_id=BOOK_ID)  # fmt: skip


def check(title: str) -> None:
    filename = f"Лев Толстой - {title}.epub"
    raw = build(title, filename)
    for line in raw.split(b"\r\n"):
        assert len(line) <= 998 and b"\n" not in line and b"\r" not in line
    message = parse(raw)
    assert str(make_header(decode_header(message["Subject"]))) == (cleaned(title)[:300] or "Book")
    assert message["To"] == "reader@kindle.com" and message["From"] == "shelf@example.org"
    assert message.get_all("Bcc") is None and len(message.get_all("Subject") or []) == 1
    part = attachment(message)
    assert part.get_content_type() == "application/epub+zip"
    assert part.get_payload(decode=True) == DATA
    plain, real = names(part)
    assert plain.isascii() and SAFE_ASCII.match(plain), plain
    assert real.endswith(".epub")
    # Every visible character of the real name survives; only folders and control characters go,
    # and a very long name is cut (to stay a valid file name on the device).
    want = "".join(cleaned(filename.replace("/", " ").replace("\\", " ")).split())[: -len(".epub")]
    got = "".join(real.split())[: -len(".epub")]
    assert want.startswith(got) and (got == want or len(real) >= 200)


@pytest.mark.parametrize(
    "title",
    ["Война и мир", "日本語の本", "L'Étranger", "Straße / Weg: \"quoted\"; a=b", "Bad\r\nBcc: evil@example.com",
     "=?utf-8?q?not_an_encoded_word?=", "x" * 400, "", "   ", "emoji 📚 book"],
)  # fmt: skip
def test_known_titles(title: str) -> None:
    check(title)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_title(title: str) -> None:
    check(title)


def test_ascii_name_keeps_what_it_can() -> None:
    part = attachment(parse(build("Les Misérables", "Victor Hugo - Les Misérables.epub")))
    assert names(part) == ("Victor Hugo - Les Miserables.epub", "Victor Hugo - Les Misérables.epub")
    part = attachment(parse(build("日本語", "日本語.epub")))
    assert names(part)[1] == "日本語.epub" and names(part)[0] == translit.ascii_name("日本語.epub", BOOK_ID)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=80))
def test_attachment_is_spelt_as_a_download(stem: str) -> None:
    """The letters of an attachment's plain name are those of the book's download name: a reader
    finds one book under one spelling, whether it came by mail or over OPDS."""
    plain = names(attachment(parse(build("t", f"{stem}.epub"))))[0]
    download = translit.ascii_name(real_name(f"{stem}.epub", "epub"), BOOK_ID)
    assert plain.isascii() and SAFE_ASCII.match(plain), plain
    letters = [c for c in plain if c.isalnum()]
    assert letters == [c for c in download if c.isalnum()], (plain, download)
