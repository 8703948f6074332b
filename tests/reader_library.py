"""A served bookshelf with books in its library for the reader tests: uploaded and approved through the API."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from tests.reading.helpers import PASSWORD, USER, koreader_headers


class Library:
    def __init__(self, base: str) -> None:
        self.base = base
        with httpx.Client() as client:
            key = client.post(base + "/api/auth/setup", json={"label": "reader"}).json()["key"]
        self.key = key
        self.api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30)
        r = self.api.put("/api/credentials/kosync", json={"username": USER, "password": PASSWORD})
        assert r.status_code == 200, r.text

    def add(self, path: Path) -> dict[str, Any]:
        """Upload one file, wait for review, approve it; the organized book."""
        with path.open("rb") as fh:
            r = self.api.post("/api/inbox/upload", files={"file": (path.name, fh, "application/octet-stream")})
        assert r.status_code in (200, 201, 202), r.text
        body = r.json()
        book_id = body["uploaded"][0]["bookId"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            got = self.api.get(f"/api/books/{book_id}/candidates")
            status = self.api.get(f"/api/inbox/{book_id}")
            if status.status_code == 200 and status.json().get("status") == "review" and got.status_code == 200:
                break
            time.sleep(0.2)
        r = self.api.post(f"/api/books/{book_id}/approve", json={})
        assert r.status_code == 200, r.text
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            book = self.api.get(f"/api/library/{book_id}")
            ready = book.status_code == 200 and book.json()["status"] == "organized" and book.json()["files"]
            if ready and not self.busy("parse", "organize"):
                return book.json()
            time.sleep(0.2)
        raise AssertionError("the book was not organized in time")

    def add_reader(self, username: str) -> tuple[str, dict[str, str]]:
        """A reader account with an API key and KOReader credentials: (its key, its KOReader headers)."""
        created = self.api.post("/api/users", json={"username": username, "password": f"{username} password 1",
                                                    "role": "reader", "canUpload": False})  # fmt: skip
        assert created.status_code == 201, created.text
        key = self.api.post(f"/api/users/{created.json()['id']}/keys", json={"label": username})
        assert key.status_code == 201, key.text
        secret = key.json()["key"]
        kosync = {"username": f"{username}-kobo", "password": f"{username} kosync"}
        with httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {secret}"}) as client:
            r = client.put("/api/credentials/kosync", json=kosync)
            assert r.status_code == 200, r.text
        return secret, koreader_headers(kosync["username"], kosync["password"])

    def close(self) -> None:
        self.api.close()

    def busy(self, *names: str) -> bool:
        """Whether any of the named queues has work. Not the metadata queue: the providers of these
        tests are unreachable, and their lookups are retried (waiting) for minutes after the book is organized."""
        queues = self.api.get("/api/jobs/status").json().get("queues", {})
        return any(q.get("active", 0) or q.get("waiting", 0) or q.get("delayed", 0)
                   for name, q in queues.items() if name in names)  # fmt: skip

    def sign_in(self, context: Any, key: str | None = None) -> None:
        """Put a UI session cookie into a browser context (the first admin's, or the account of ``key``)."""
        page = context.new_page()
        page.goto(self.base + "/signin")
        page.fill("#key", key or self.key)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/signin" not in url)
        page.close()
