"""In Chromium against `bookshelf serve`: set the mail server and send a test message, add an
e-reader, send a book from its page and from the library selection, and watch the jobs finish;
the SMTP server is real (aiosmtpd on loopback), and what arrives is the library's file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.builders import make_epub
from tests.mail.smtpd import smtp_server
from tests.mail.test_message import attachment, names
from tests.reader_library import Library
from tests.serve import running_server
from tests.ui_browser import assert_fits, wait_for, watch

TITLE = "Пикник на обочине"


def test_add_a_device_send_a_book_and_see_it_arrive(browser: Any, tmp_path: Path,
                                                    certificate: tuple[Path, Path]) -> None:  # fmt: skip
    source = make_epub(tmp_path / "roadside.epub", title=TITLE, authors=["Аркадий Стругацкий"], body_bytes=3000)
    with smtp_server(*certificate, mode="none") as (port, box), running_server(tmp_path / "data") as server:
        base = server.base_url
        library = Library(base)
        book = library.add(source)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        library.sign_in(context)
        page = context.new_page()
        errors, foreign = watch(page, base)

        # The mail server, and its test button.
        page.goto(base + "/settings#mail")
        form = page.locator("[data-mail-form]")
        form.locator("[name=host]").fill("127.0.0.1")
        form.locator("[name=security]").select_option("none")
        form.locator("[name=port]").fill(str(port))
        form.locator("[name=from]").fill("shelf@example.org")
        form.locator("button[type=submit]").click()
        page.locator("[data-mail-status].ok").wait_for()
        assert "Configured: 127.0.0.1" in page.inner_text("[data-mail-status]")
        page.fill("[data-mail-test] [name=to]", "reader@example.org")
        page.click("[data-mail-test] button[type=submit]")
        page.locator("[data-mail-test-status].ok").wait_for()
        assert box.messages[0].parsed()["Subject"] == "bookshelf test message"

        # An e-reader.
        devices = page.locator("[data-device-form]")
        devices.locator("[name=name]").fill("Kindle")
        devices.locator("[name=email]").fill("reader_42@kindle.com")
        devices.locator("button[type=submit]").click()
        page.locator("[data-device-list] li", has_text="reader_42@kindle.com").wait_for()

        # Send from the book's page; the send shows as sent.
        page.goto(f"{base}/books/{book['id']}")
        page.locator("[data-send-device] option", has_text="Kindle").wait_for(state="attached")
        page.click("[data-send-form] button[type=submit]")
        page.locator("[data-sends] li[data-state=completed]").wait_for(timeout=30_000)
        assert "sent" in page.inner_text("[data-sends]")
        epub = book["files"][0]
        library_bytes = library.api.get(f"/api/library/{book['id']}/download/{epub['id']}").content
        part = attachment(box.messages[1].parsed())
        assert part.get_payload(decode=True) == library_bytes
        assert names(part)[1] == epub["filename"]

        # Send again from the library's selection.
        page.goto(base + "/library")
        page.locator(f"[data-pick='{book['id']}']").check()
        page.locator("[data-bulk-device] option", has_text="Kindle").wait_for(state="attached")
        page.click("[data-bulk-send]")
        page.locator("[data-bulk-status] .ok").wait_for()
        wait_for(lambda: len(box.messages) == 3, "the second copy to arrive")

        # The Jobs page counts both sends as completed.
        page.goto(base + "/jobs")
        row = page.locator("[data-queues] tr", has_text="send")
        wait_for(lambda: row.locator("td").nth(3).inner_text() == "2", "two completed sends on the Jobs page")
        # Every page touched fits a phone.
        page.set_viewport_size({"width": 360, "height": 800})
        for path in ("/settings", f"/books/{book['id']}", "/library", "/jobs"):
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            assert_fits(page, path, 360)
        library.close()
        assert not errors, errors
        assert not foreign, foreign
