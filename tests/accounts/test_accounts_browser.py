"""Accounts in real headless Chromium against `bookshelf serve`: an admin makes a reader in Settings; the
reader signs in with a password, sees no admin pages or buttons, reads a book page, sets KOReader up.

Needs Debian's chromium and the playwright package; skips without them (fails in strict mode, as in CI).
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anyio
import httpx

from bookshelf.runtime import Runtime
from tests.conftest import make_settings
from tests.reading.helpers import add_book
from tests.serve import running_server
from tests.ui_browser import watch

DOC = "b" * 32


async def _seed(root: Path) -> str:
    rt = await Runtime.open(make_settings(root), background=False)
    try:
        return (await add_book(rt, "The Salt Crown", ["Ann Author"], hashes=[DOC])).id
    finally:
        await rt.close()


def test_admin_makes_a_reader_who_reads_and_sets_up_koreader(browser: Any, tmp_path: Path) -> None:
    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API holds this thread's event loop
        book_id = pool.submit(anyio.run, _seed, tmp_path).result()
    with running_server(tmp_path / "data") as server:
        base = server.base_url
        key = httpx.post(base + "/api/auth/setup", json={"label": "admin"}).json()["key"]

        admin = browser.new_context(viewport={"width": 1280, "height": 900})
        page = admin.new_page()
        errors, foreign = watch(page, base)
        page.goto(base + "/signin")
        page.fill("#key", key)
        page.click("button[type=submit]")
        page.wait_for_selector("h1:has-text('Dashboard')")
        page.goto(base + "/settings#accounts")
        page.fill("#new-username", "Sam")
        page.fill("#new-password", "sam's password")
        page.select_option("#new-role", "reader")
        page.click("text=Create account")
        page.wait_for_selector("text=Account Sam created.")
        assert page.locator("tr[data-user='Sam']").count() == 1
        assert not errors, errors
        admin.close()

        reader = browser.new_context(viewport={"width": 1280, "height": 900})
        page = reader.new_page()
        errors, foreign = watch(page, base)
        page.goto(base + "/")
        page.fill("#username", "sam")  # user names are matched case-insensitively
        page.fill("#password", "sam's password")
        page.click("button[type=submit]")
        page.wait_for_selector("h1:has-text('Dashboard')")
        nav = page.locator("nav[aria-label=Main]").inner_text()
        assert "Library" in nav and "Reading" in nav
        assert "Inbox" not in nav and "Jobs" not in nav and "Trash" not in nav
        assert page.locator("text=Inbox and pipeline").count() == 0

        page.goto(f"{base}/books/{book_id}")
        page.wait_for_selector("h1:has-text('The Salt Crown')")
        for admin_button in ("Edit", "Fetch metadata", "Reorganize files", "Delete…"):
            assert page.locator(f"button:has-text('{admin_button}')").count() == 0, admin_button
        assert page.locator("[data-send] button:has-text('Send')").count() == 1  # devices are every reader's

        page.goto(base + "/settings")
        assert page.locator("#preferences").count() == 0 and page.locator("#accounts").count() == 0
        assert page.locator("#cred-google_books").count() == 0
        form = page.locator("#cred-kosync form").first
        form.locator("input[name=username]").fill("sams-kobo")
        form.locator("input[name=password]").fill("kobo secret")
        form.locator("button[type=submit]").click()
        page.wait_for_selector("#cred-kosync >> text=sams-kobo")
        assert not errors, errors
        assert not foreign, foreign

        # The reader's KOReader now syncs to the reader's account, and the admin's pages stay closed.
        headers = {"accept": "application/vnd.koreader.v1+json", "x-auth-user": "sams-kobo",
                   "x-auth-key": hashlib.md5(b"kobo secret").hexdigest()}  # fmt: skip
        assert httpx.get(base + "/kosync/users/auth", headers=headers).status_code == 200
        for admin_page in ("/inbox", "/jobs", "/trash"):
            assert page.goto(base + admin_page).status == 403, admin_page
        reader.close()
