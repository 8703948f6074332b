"""The UI in real headless Chromium against `bookshelf serve`: setup, settings, palette, pages, screenshots.

Needs Debian's chromium (apt-get install chromium chromium-driver) and the
playwright package; skips without them (fails in strict mode, as in CI).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from tests.serve import running_server
from tests.strict import REPO_ROOT, skip_or_fail

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = REPO_ROOT / "docs" / "screenshots"
PAGES = {"dashboard": "/", "inbox": "/inbox", "library": "/library", "reading": "/reading", "settings": "/settings"}


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        skip_or_fail("/usr/bin/chromium is not installed (apt-get install chromium chromium-driver)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def test_first_run_settings_palette_and_pages_in_chromium(browser, tmp_path: Path) -> None:
    with running_server(tmp_path / "data") as server:
        base = server.base_url
        host = urlparse(base).netloc
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        foreign: list[str] = []
        errors: list[str] = []
        page.on("request", lambda r: foreign.append(r.url) if urlparse(r.url).netloc not in (host, "") else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        # A 404 from an API another branch has not delivered yet is expected; anything else is a defect.
        page.on(
            "console",
            lambda m: errors.append(m.text) if m.type == "error" and "status of 404" not in m.text else None,
        )

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

        # Every main page, desktop and phone widths; screenshots for the README.
        SHOTS.mkdir(parents=True, exist_ok=True)
        for width, suffix in ((1280, "desktop"), (390, "phone")):
            page.set_viewport_size({"width": width, "height": 900 if width > 500 else 844})
            for name, path in PAGES.items():
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                if os.environ.get("BOOKSHELF_SCREENSHOTS") == "1":
                    page.screenshot(path=str(SHOTS / f"{name}-{suffix}.png"))
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 1, (name, width, overflow)

        # Sign out and in again with the key.
        page.click("text=Sign out")
        page.wait_for_url(re.compile(r"/signin"))
        page.fill("#key", key)
        page.click("button[type=submit]")
        page.wait_for_selector("h1:has-text('Dashboard')")

        assert not errors, errors
        assert not foreign, foreign
        context.close()
