"""The UI in real headless Chromium against `bookshelf serve`: setup, settings, palette, pages, screenshots.

Needs Debian's chromium (apt-get install chromium chromium-driver) and the
playwright package; skips without them (fails in strict mode, as in CI).
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.serve import running_server
from tests.ui_browser import assert_fits, watch

PAGES = {
    "dashboard": "/",
    "inbox": "/inbox",
    "library": "/library",
    "reading": "/reading",
    "stats": "/stats",
    "jobs": "/jobs",
    "settings": "/settings",
}


def test_first_run_settings_palette_and_pages_in_chromium(browser, tmp_path: Path) -> None:
    with running_server(tmp_path / "data") as server:
        base = server.base_url
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        errors, foreign = watch(page, base)

        # First run: / leads to setup, which shows the key once and signs in.
        page.goto(base + "/")
        assert page.url.endswith("/setup")
        page.fill("#label", "browser")
        page.click("button[type=submit]")
        key = page.input_value("#new-key")
        assert key.startswith("bks_")
        page.click("text=Continue to bookshelf")
        page.wait_for_selector("h1:has-text('Dashboard')")

        # Change a setting through the form and see it stored.
        page.goto(base + "/settings")
        page.fill("#pref-pausedAfterDays", "45")
        page.click("text=Save preferences")
        page.wait_for_selector("text=Saved.")
        body = httpx.get(base + "/api/settings", headers={"Authorization": f"Bearer {key}"}).json()
        assert body["pausedAfterDays"] == 45
        assert f"{base}/kosync" in page.content()

        # The command palette: Ctrl+K, type, Enter jumps to the page.
        page.keyboard.press("Control+k")
        page.wait_for_selector("#palette[open]")
        page.keyboard.type("jobs")
        page.wait_for_selector("#palette li[aria-selected=true]:has-text('Jobs')")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/jobs$"))
        page.keyboard.press("/")
        page.wait_for_selector("#palette[open]")
        page.keyboard.press("Escape")

        # Every main page, empty, at desktop and phone widths: nothing wider than the screen.
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900 if width > 500 else 844})
            for name, path in PAGES.items():
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                assert_fits(page, name, width)

        # Sign out and in again with the key.
        page.click("text=Sign out")
        page.wait_for_url(re.compile(r"/signin"))
        page.fill("#key", key)
        page.click("button[type=submit]")
        page.wait_for_selector("h1:has-text('Dashboard')")

        assert not errors, errors
        assert not foreign, foreign
        context.close()
