"""`bookshelf serve` and the command line as a user runs them."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.serve import running_server


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKSHELF_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bookshelf", *args], capture_output=True, text=True, env=full_env, timeout=60
    )


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("bookshelf ")


def test_unwritable_data_dir_is_one_line_and_exit_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run_cli("serve", "--data-dir", str(blocker / "data"))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write a read-only folder")
def test_read_only_data_dir(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    result = run_cli("serve", "--data-dir", str(ro))
    assert result.returncode == 2 and "not writable" in result.stderr


def test_serve_end_to_end(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with running_server(data) as server:
        base = server.base_url
        assert httpx.get(base + "/api/health").json() == {"status": "ok"}
        setup = httpx.post(base + "/api/auth/setup", json={"label": "first"})
        assert setup.status_code == 201
        assert httpx.post(base + "/api/auth/setup").status_code == 409
        key = setup.json()["key"]
        assert httpx.get(base + "/api/settings").status_code == 401
        assert httpx.get(base + "/api/settings", headers={"X-API-Key": key}).status_code == 200
        # A key made by the command line while the server runs works at once.
        made = run_cli("keys", "create", "--label", "cli", "--data-dir", str(data))
        assert made.returncode == 0, made.stderr
        cli_key = made.stdout.strip()
        assert httpx.get(base + "/api/auth/keys", headers={"X-API-Key": cli_key}).status_code == 200
    log = server.log()
    assert "GET /api/settings 401" in log
    assert key not in log and cli_key not in log
    assert (data / "bookshelf.db").exists() and (data / "library").is_dir() and (data / "inbox").is_dir()


def test_sigterm_stops_cleanly(tmp_path: Path) -> None:
    with running_server(tmp_path / "data") as server:
        pass
    assert server.process.returncode == 0


def test_idle_connection_outlives_a_client_pool_expiry(tmp_path: Path) -> None:
    """httpx drops pooled connections after 5 s idle; if the server closed at the same
    moment, a reused connection would answer "server disconnected". The server keeps
    an idle connection open longer than that."""
    with running_server(tmp_path / "data") as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=5)
        connection.request("GET", "/api/health")
        assert connection.getresponse().read() == b'{"status":"ok"}'
        time.sleep(6)
        sock = connection.sock
        assert sock is not None
        sock.setblocking(False)
        try:
            closed = sock.recv(1, socket.MSG_PEEK) == b""
        except BlockingIOError:
            closed = False
        assert not closed, "the server closed an idle connection within 6 s"
        sock.setblocking(True)
        connection.request("GET", "/api/health")  # the same socket: http.client reconnects only if it is gone
        assert connection.sock is sock and connection.getresponse().status == 200
        connection.close()
