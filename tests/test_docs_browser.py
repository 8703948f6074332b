"""The API docs page works in a real browser with nothing fetched from another host."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.serve import running_server
from tests.ui_browser import watch


def test_docs_page_loads_offline_and_tries_a_request(tmp_path: Path, browser: Any) -> None:
    with running_server(tmp_path / "data") as server:
        key = httpx.post(server.base_url + "/api/auth/setup").json()["key"]
        page = browser.new_page()
        errors, foreign = watch(page, server.base_url)
        page.goto(server.base_url + "/api/docs")
        # The page builds one entry per operation from /api/openapi.json.
        page.wait_for_selector("details summary .path")
        assert page.locator("details").count() >= 50
        page.fill("#key", key)
        page.dispatch_event("#key", "change")
        health = page.locator("details", has_text="/api/health").first
        health.locator("summary").click()
        health.locator("button[type=submit]").click()
        health.locator("pre", has_text="200").wait_for()
        assert '"version"' in health.locator("pre[aria-live]").inner_text()  # detailed: the key was sent
        page.close()
    assert not errors, errors
    assert not foreign, foreign
