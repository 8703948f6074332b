"""Sending books through a real SMTP server (aiosmtpd with STARTTLS and AUTH on loopback):
what arrives is the library file, byte for byte, under the right names and subject."""

from __future__ import annotations

import hashlib
from email.header import decode_header, make_header
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookshelf.runtime import Runtime
from bookshelf.services.mail.message import real_name
from bookshelf.services.mail.send import Delivery, deliver
from bookshelf.services.mail.server import SmtpServer
from bookshelf.services.storage import files
from tests.library_books import add_book
from tests.mail.conftest import add_device, finished, send, set_server
from tests.mail.smtpd import PASSWORD, USER, smtp_server
from tests.mail.test_message import BOOK_ID, attachment, cleaned, names


async def test_an_epub_arrives_identical_with_its_names(live: Runtime, live_api: httpx.AsyncClient,
                                                        certificate: tuple[Path, Path]) -> None:  # fmt: skip
    book = await add_book(live, "Война и мир: Том 1", ["Лев Толстой"])
    library_file = files.file_path(live.settings, book.files[0]).read_bytes()
    with smtp_server(*certificate) as (port, box):
        status = await set_server(live_api, port)
        assert status["passwordSet"] is True and "password" not in status
        device = await add_device(live_api)
        job = await finished(live, await send(live_api, book.id, device))
        assert job.state == "completed", job.error
        assert job.attempts == 1
    [received] = box.messages
    assert received.login == USER  # logged in (with a non-ASCII password), after STARTTLS
    assert received.mail_from == "shelf@example.org" and received.rcpt_tos == ["reader_42@kindle.com"]
    message = received.parsed()
    assert str(make_header(decode_header(message["Subject"]))) == "Война и мир: Том 1"
    part = attachment(message)
    assert part.get_content_type() == "application/epub+zip"
    payload = part.get_payload(decode=True)
    assert hashlib.sha256(payload).digest() == hashlib.sha256(library_file).digest()
    # The plain name is spelt as the book's downloads are (services.names.translit).
    assert names(part) == ("Lev Tolstoi - Voina i mir_ Tom 1.epub", "Лев Толстой - Война и мир: Том 1.epub")
    sends = (await live_api.get(f"/api/library/{book.id}/sends")).json()["sends"]
    assert [(s["jobId"], s["state"], s["deviceName"]) for s in sends] == [(job.id, "completed", "Kindle")]


@pytest.mark.parametrize("mode", ["tls", "none"])
async def test_implicit_tls_and_a_plain_relay(live: Runtime, live_api: httpx.AsyncClient,
                                              certificate: tuple[Path, Path], mode: str) -> None:  # fmt: skip
    book = await add_book(live, "The Dispossessed", ["Ursula K. Le Guin"], formats=("pdf", "epub"))
    with smtp_server(*certificate, mode=mode) as (port, box):
        await set_server(live_api, port, security=mode, login=mode != "none")
        device = await add_device(live_api, "reader@pocketbook.example", "pdf", "PocketBook")
        job = await finished(live, await send(live_api, book.id, device))
        assert job.state == "completed", job.error
    part = attachment(box.messages[0].parsed())
    pdf = next(f for f in book.files if f.format == "pdf")
    assert part.get_payload(decode=True) == files.file_path(live.settings, pdf).read_bytes()
    assert names(part)[0].endswith(".pdf") and part.get_content_type() == "application/pdf"


def test_any_title_arrives_over_smtp(certificate: tuple[Path, Path], tmp_path: Path) -> None:
    """Hypothesis over titles and file bytes, each sent through the STARTTLS + AUTH server."""
    path = tmp_path / "book.epub"
    with smtp_server(*certificate) as (port, box):
        server = SmtpServer("127.0.0.1", port, "starttls", USER, PASSWORD, "shelf@example.org")

        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
        @given(title=st.text(max_size=120), body=st.binary(min_size=1, max_size=4000))
        def one(title: str, body: bytes) -> None:
            path.write_bytes(body)
            box.messages.clear()
            deliver(Delivery(server, "x@kindle.com", title, path, f"{title}.epub", "epub", len(body), BOOK_ID), 5.0,
                    str(certificate[0]))  # fmt: skip
            message = box.messages[0].parsed()
            assert str(make_header(decode_header(message["Subject"]))) == (cleaned(title)[:300] or "Book")
            part = attachment(message)
            assert part.get_payload(decode=True) == body
            plain, real = names(part)
            assert plain.isascii() and real == real_name(f"{title}.epub", "epub")

        one()
