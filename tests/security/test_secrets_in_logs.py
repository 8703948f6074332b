"""Secrets never reach the log or any file in the data folder, with `bookshelf serve` logging at debug.

tests/test_credentials.py checks API answers and the database in-process; this runs the real
server, uses every credential (right and wrong), uploads a book, and greps everything it wrote.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest

from tests.builders import make_epub
from tests.serve import running_server

PASSWORD, KOSYNC_PASSWORD = "Opds-Pässwort-7731", "Kosync-Secret-5521"
TOKEN, API_KEY = "hc-token-QWERTY987654", "AIzaSyFAKE-google-4242"
WRONG = "Wrong-Guess-Close-To-Opds-7731"


def data_bytes(data_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file() and not p.is_symlink())


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_no_secret_in_logs_or_data(tmp_path: Path, log_format: str) -> None:
    data = tmp_path / "data"
    book = make_epub(tmp_path / "upload.epub", title="Logged Upload")
    env = {"BOOKSHELF_LOG_LEVEL": "debug", "BOOKSHELF_LOG_FORMAT": log_format}
    with running_server(data, env=env) as server, httpx.Client(base_url=server.base_url, timeout=20) as http:
        key = http.post("/api/auth/setup", json={"label": "logs"}).json()["key"]
        http.headers["Authorization"] = f"Bearer {key}"
        for service, body in (("opds", {"username": "reader", "password": PASSWORD}),
                              ("kosync", {"username": "reader", "password": KOSYNC_PASSWORD}),
                              ("hardcover", {"token": TOKEN}), ("google_books", {"apiKey": API_KEY})):  # fmt: skip
            assert http.put(f"/api/credentials/{service}", json=body).status_code == 200
        assert http.get("/opds", auth=("reader", PASSWORD)).status_code == 200
        assert http.get("/opds", auth=("reader", WRONG)).status_code == 401
        kosync_key = hashlib.md5(KOSYNC_PASSWORD.encode()).hexdigest()
        koreader = {"x-auth-user": "reader", "accept": "application/vnd.koreader.v1+json"}
        assert http.get("/kosync/users/auth", headers={**koreader, "x-auth-key": kosync_key}).status_code == 200
        assert http.get("/kosync/users/auth", headers={**koreader, "x-auth-key": "0" * 32}).status_code == 401
        assert http.get("/api/library", headers={"Authorization": f"Bearer {WRONG}"}).status_code == 401
        assert httpx.get(server.base_url + "/api/library", headers={"X-API-Key": WRONG}).status_code == 401
        upload = http.post("/api/inbox/upload", files=[("file", ("upload.epub", book.read_bytes()))])
        assert upload.status_code == 201, upload.text
        http.post("/api/hardcover/sync")  # uses the token against an unreachable Hardcover
        http.get("/api/hardcover/status")
        assert http.get("/api/credentials/hardcover").status_code == 200
    log = server.log()
    assert "Logged Upload" in log or "upload.epub" in log, "the log must be the real one, with the upload"
    if log_format == "json":
        assert all(json.loads(line) for line in log.splitlines() if line.startswith("{"))
    secrets = [PASSWORD, KOSYNC_PASSWORD, kosync_key, TOKEN, API_KEY, key, key.removeprefix("bks_"), WRONG]
    stored = data_bytes(data)
    for secret in secrets:
        assert secret not in log, f"{secret[:6]}... is in the log"
        assert secret.encode() not in stored, f"{secret[:6]}... is in a file under the data folder"
