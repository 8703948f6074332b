"""Driving the web reader in Chromium: a served library shared by a module, touch input, KOReader calls."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.reader_library import Library
from tests.reading.helpers import koreader_headers
from tests.serve import running_server
from tests.ui_browser import watch

PHONE = (390, 844)
DESKTOP = (1280, 900)


def served_library(data: Path) -> Iterator[tuple[str, Library]]:
    with running_server(data) as server:
        lib = Library(server.base_url)
        try:
            yield server.base_url, lib
        finally:
            lib.close()


def kosync_put(
    base: str, document: str, progress: str, percentage: float, device: str = "Kobo Libra",
    headers: dict[str, str] | None = None,
) -> None:  # fmt: skip
    body = {"document": document, "progress": progress, "percentage": percentage, "device": device,
            "device_id": hashlib.md5(device.encode()).hexdigest().upper()}  # fmt: skip
    r = httpx.put(f"{base}/kosync/syncs/progress", json=body, headers=headers or koreader_headers())
    assert r.status_code == 200, r.text


def kosync_get(base: str, document: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return httpx.get(f"{base}/kosync/syncs/progress/{document}", headers=headers or koreader_headers()).json()


class Reader:
    """One reader tab, with its console errors and requests to other hosts collected."""

    def __init__(self, context: Any, base: str, book_id: str, size: tuple[int, int]) -> None:
        self.page = context.new_page()
        self.size = size
        self.errors, self.foreign = watch(self.page, base)
        self.requests: list[Any] = []
        self.page.on("request", lambda r: self.requests.append(r))
        self.cdp = context.new_cdp_session(self.page)
        self.page.goto(f"{base}/read/{book_id}")
        self.ready()

    def ready(self) -> None:
        self.page.wait_for_selector("body[data-ready='1']", timeout=30000)

    def reload(self) -> None:
        self.page.reload()
        self.ready()

    def progress(self) -> str:
        return str(self.page.evaluate("document.body.dataset.progress"))

    def shown_pages(self) -> list[int]:
        pages = self.page.evaluate("[...document.querySelectorAll('.rd-pages [data-page]')].map(n => n.dataset.page)")
        return [int(n) for n in pages]

    def tap(self, side: str) -> None:
        w, h = self.size
        self.page.touchscreen.tap(12 if side == "left" else w - 12, h // 2)

    def swipe(self, direction: str) -> None:
        """A finger moving 200 px left or right across the middle of the page, as real touch input."""
        w, h = self.size
        x0 = w * 0.75 if direction == "left" else w * 0.25
        dx = -200 if direction == "left" else 200
        send = self.cdp.send
        send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": h / 2}]})
        for i in range(1, 7):
            send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x0 + dx * i / 6, "y": h / 2}]})
        send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

    def wait_progress(self, wanted: Callable[[str], bool], what: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.progress()
            if wanted(got):
                return got
            time.sleep(0.1)
        raise AssertionError(f"{what}: the reader stayed at {self.progress()}")

    def saved(self, progress: str, timeout: float = 15.0) -> None:
        self.page.wait_for_function("p => document.body.dataset.saved === p", arg=progress, timeout=timeout * 1000)

    def clean(self) -> None:
        assert not self.errors, self.errors
        assert not self.foreign, self.foreign


def new_context(
    browser: Any, lib: Library, size: tuple[int, int], settings: str | None = None, key: str | None = None
) -> Any:
    w, h = size
    context = browser.new_context(viewport={"width": w, "height": h}, has_touch=True, is_mobile=w < 600)
    lib.sign_in(context, key)
    if settings is not None:
        context.add_init_script(f"localStorage.setItem('bookshelf.reader.settings', {settings!r})")
    return context
