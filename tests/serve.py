"""Run `bookshelf serve` as a real subprocess on a loopback port, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
        self.process = process
        self.base_url = base_url
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def bookshelf_command() -> list[str]:
    return [sys.executable, "-m", "bookshelf"]


@contextmanager
def running_server(
    data_dir: Path, env: dict[str, str] | None = None, args: list[str] | None = None, ready_timeout: float = 20.0
) -> Iterator[Server]:
    port = free_port()
    log_path = data_dir.parent / f"serve-{port}.log"
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKSHELF_")}
    full_env.update(
        {
            "BOOKSHELF_GOOGLE_BOOKS_URL": "http://127.0.0.1:9/books/v1",
            "BOOKSHELF_HARDCOVER_URL": "http://127.0.0.1:9/v1/graphql",
            "BOOKSHELF_OPENLIBRARY_URL": "http://127.0.0.1:9",
            "BOOKSHELF_OPENLIBRARY_COVERS_URL": "http://127.0.0.1:9",
        }
    )
    full_env.update(env or {})
    command = [
        *bookshelf_command(),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        *(args or []),
    ]
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, env=full_env)
    server = Server(process, f"http://127.0.0.1:{port}", log_path)
    try:
        wait_ready(server, ready_timeout)
        yield server
    finally:
        stop(process)


def wait_ready(server: Server, timeout: float) -> float:
    started = time.monotonic()
    deadline = started + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"bookshelf serve exited with {server.process.returncode}:\n{server.log()}")
        try:
            if httpx.get(server.base_url + "/api/health", timeout=1).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"bookshelf serve not ready after {timeout}s:\n{server.log()}")


def stop(process: subprocess.Popen[bytes], timeout: float = 15) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def read_db(data_dir: Path, sql: str) -> list[sqlite3.Row]:
    """Rows of ``sql`` from a data folder's database, opened read-only beside a running (or killed) server."""
    conn = sqlite3.connect(f"file:{data_dir / 'bookshelf.db'}?mode=ro", uri=True, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()
