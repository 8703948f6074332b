"""Fixtures for sending books by mail: a certificate, a live runtime whose queue runs, helpers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bookshelf.db.jobs import Job
from bookshelf.runtime import Runtime
from bookshelf.settings import Settings
from bookshelf.web.app import create_app
from tests.conftest import make_settings
from tests.mail.smtpd import PASSWORD, USER, make_certificate

FINAL = ("completed", "failed")


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def mail_settings(tmp_path: Path, certificate: tuple[Path, Path]) -> Settings:
    # Short timeouts and one retry keep the failure paths to a few seconds each.
    return make_settings(tmp_path, start_consumer=True, smtp_timeout=1.0, send_retries=1,
                         smtp_ca_file=str(certificate[0]))  # fmt: skip


@pytest.fixture
async def live(mail_settings: Settings) -> AsyncIterator[Runtime]:
    rt = await Runtime.open(mail_settings)
    try:
        yield rt
    finally:
        await rt.close()


@pytest.fixture
async def live_api(mail_settings: Settings, live: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(mail_settings, live)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.post("/api/auth/setup", json={"label": "tests"})
        http.headers["Authorization"] = f"Bearer {response.json()['key']}"
        yield http


async def set_server(api: httpx.AsyncClient, port: int, security: str = "starttls", password: str = PASSWORD,
                     login: bool = True) -> dict[str, Any]:  # fmt: skip
    body: dict[str, Any] = {"host": "127.0.0.1", "port": port, "security": security, "from": "shelf@example.org"}
    if login:
        body.update(username=USER, password=password)
    response = await api.put("/api/credentials/smtp", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def add_device(api: httpx.AsyncClient, email: str = "reader_42@kindle.com", fmt: str = "epub",
                     name: str = "Kindle") -> str:  # fmt: skip
    response = await api.post("/api/devices", json={"name": name, "email": email, "format": fmt})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def send(api: httpx.AsyncClient, book_id: str, device_id: str) -> str:
    response = await api.post(f"/api/library/{book_id}/send", json={"deviceId": device_id})
    assert response.status_code == 202, response.text
    return str(response.json()["jobId"])


async def finished(rt: Runtime, job_id: str, timeout: float = 20.0) -> Job:
    """The job once it completed or failed for good (no sleeps beyond polling with a deadline)."""
    deadline = time.monotonic() + timeout
    while True:
        job = await rt.jobs.get(job_id)
        if job is not None and job.state in FINAL:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job.state if job else 'missing'} after {timeout}s")
        await asyncio.sleep(0.05)
