"""KOReader sync against `bookshelf serve` as a real subprocess, over a real socket."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.reading.helpers import KOREADER_ACCEPT, koreader_headers, md5
from tests.serve import running_server

DOC = "59d481d168cca6267322f150c5f6a2a3"


def raw_request(base_url: str, request: bytes) -> bytes:
    """Send bytes exactly as written (raw UTF-8 header values included) and read the whole answer."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_kosync_over_a_real_server(tmp_path: Path) -> None:
    env = {"BOOKSHELF_KOSYNC_USERNAME": "lécteur", "BOOKSHELF_KOSYNC_PASSWORD": "pässwört"}
    with running_server(tmp_path / "data", env=env) as server:
        # httpx sends header values given as bytes untouched: the raw UTF-8 user name KOReader sends.
        auth_header = [(k.encode(), v.encode()) for k, v in koreader_headers("lécteur", "pässwört").items()]
        with httpx.Client(base_url=server.base_url, timeout=10, follow_redirects=False) as http:
            health = http.get("/kosync/healthcheck", headers={"accept": KOREADER_ACCEPT})
            assert health.status_code == 200 and health.json() == {"state": "OK"}
            assert http.get("/kosync/users/auth/", headers=auth_header).status_code == 200  # no redirect
            body = {"document": DOC, "progress": "12", "percentage": 0, "device": "kobo", "device_id": "AB" * 16}
            put = http.put("/kosync/syncs/progress", content=json.dumps(body), headers=auth_header)
            assert put.status_code == 200 and isinstance(put.json()["timestamp"], int)
            got = http.get(f"/kosync/syncs/progress/{DOC}", headers=auth_header)
            assert got.json() == {**body, "timestamp": put.json()["timestamp"]}
            assert '"percentage":0,' in got.text
            missing = http.get("/kosync/nowhere", headers=auth_header)
            assert missing.status_code == 404 and missing.headers["content-type"] == "application/json"

        # KOReader's LuaSocket: HTTP/1.1, lowercase names, raw UTF-8 user name, connection: close.
        request = (
            f"GET /kosync/users/auth HTTP/1.1\r\nhost: 127.0.0.1\r\nuser-agent: lua-Spore\r\n"
            f"accept: {KOREADER_ACCEPT}\r\nx-auth-key: {md5('pässwört')}\r\nconnection: close, TE\r\n"
            f"te: trailers\r\n"
        ).encode() + "x-auth-user: lécteur\r\n\r\n".encode()
        answer = raw_request(server.base_url, request)
        head, _, payload = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200") and b"content-type: application/json" in head.lower()
        assert payload == b'{"authorized":"OK"}'
