"""The mail server's password never reaches the log (at debug, text and json) or the data folder
in clear, through the test button and send jobs, right and wrong, against `bookshelf serve`."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.builders import make_epub
from tests.mail.smtpd import PASSWORD, USER, smtp_server
from tests.reader_library import Library
from tests.security.test_secrets_in_logs import data_bytes
from tests.serve import running_server

WRONG = "Wrong-Mail-Password-6610"


def settle(api: httpx.Client, book_id: str, job_id: str) -> dict:
    """The send as the book's page shows it, once it completed or failed."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        sends = {s["jobId"]: s for s in api.get(f"/api/library/{book_id}/sends").json()["sends"]}
        if sends.get(job_id, {}).get("state") in ("completed", "failed"):
            return sends[job_id]
        time.sleep(0.1)
    raise AssertionError("the send did not finish")


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_the_mail_password_stays_secret(tmp_path: Path, certificate: tuple[Path, Path], log_format: str) -> None:
    source = make_epub(tmp_path / "b.epub", title="Mailed Book")
    env = {"BOOKSHELF_LOG_LEVEL": "debug", "BOOKSHELF_LOG_FORMAT": log_format,
           "BOOKSHELF_SMTP_CA_FILE": str(certificate[0])}  # fmt: skip
    with smtp_server(*certificate) as (port, box), running_server(tmp_path / "data", env=env) as server:
        library = Library(server.base_url)
        api = library.api
        book = library.add(source)
        device = api.post("/api/devices", json={"name": "Kindle", "email": "me@kindle.com"}).json()["id"]
        server_body = {"host": "127.0.0.1", "port": port, "security": "starttls", "username": USER,
                       "from": "s@example.org"}  # fmt: skip
        for password in (WRONG, PASSWORD):
            assert api.put("/api/credentials/smtp", json={**server_body, "password": password}).status_code == 200
            answer = api.post("/api/credentials/smtp/test", json={"to": "me@kindle.com"}).json()
            assert answer["sent"] is (password == PASSWORD), answer
            job = api.post(f"/api/library/{book['id']}/send", json={"deviceId": device}).json()["jobId"]
            outcome = settle(api, book["id"], job)
            assert outcome["state"] == ("failed" if password == WRONG else "completed")
            assert ("535 5.7.8" in outcome["error"]) if password == WRONG else outcome["error"] is None
            assert password not in api.get("/api/credentials/smtp").text
        library.close()
    assert len(box.messages) == 2  # the test message and the book, with the right password
    log = server.log()
    assert "535 5.7.8" in log, "the log must be the real one, with the refused send"
    stored = data_bytes(tmp_path / "data")
    for secret in (PASSWORD, WRONG):
        assert secret not in log, f"{secret[:6]}... is in the log"
        assert secret.encode() not in stored, f"{secret[:6]}... is stored in clear"
