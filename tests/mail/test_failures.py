"""Every way a send fails becomes a failed job that quotes the mail server (or says what the
connection did), permanent ones at once, transient ones after their retries; a person can retry."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from bookshelf.runtime import Runtime
from tests.conftest import make_settings
from tests.library_books import add_book
from tests.mail.conftest import add_device, finished, send, set_server
from tests.mail.smtpd import PASSWORD, Mailbox, silent_server, smtp_server


async def failed_send(rt: Runtime, api: httpx.AsyncClient, device_email: str = "reader_42@kindle.com") -> tuple:
    book = await add_book(rt, "Solaris", ["Stanisław Lem"])
    device = await add_device(api, device_email)
    job = await finished(rt, await send(api, book.id, device))
    assert job.state == "failed", "the send should have failed"
    return job, book


async def test_wrong_password(live: Runtime, live_api: httpx.AsyncClient, certificate: tuple[Path, Path],
                              caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    with smtp_server(*certificate) as (port, box):
        await set_server(live_api, port, password="not-the-password-9876")
        job, book = await failed_send(live, live_api)
    assert job.error == "The mail server refused the login: 535 5.7.8 Authentication credentials invalid"
    assert job.attempts == 1  # 5xx: not retried
    assert not box.messages
    logged = "\n".join(r.getMessage() + str(r.exc_info or "") for r in caplog.records)
    assert "not-the-password-9876" not in logged and PASSWORD not in logged
    # Shown on the book's page and on the Jobs page, and retryable once the password is right.
    sends = (await live_api.get(f"/api/library/{book.id}/sends")).json()["sends"]
    assert sends[0]["state"] == "failed" and "535 5.7.8" in sends[0]["error"]
    listed = (await live_api.get("/api/jobs/failed")).json()["jobs"]
    assert [(j["id"], j["queue"], j["error"]) for j in listed] == [(job.id, "send", job.error)]
    with smtp_server(*certificate) as (port, box):
        await set_server(live_api, port)
        retried = await live_api.post(f"/api/library/{book.id}/sends/{job.id}/retry")
        assert retried.status_code == 200, retried.text
        again = await finished(live, job.id)
        assert again.state == "completed", again.error
        assert len(box.messages) == 1


async def test_relay_refused(live: Runtime, live_api: httpx.AsyncClient, certificate: tuple[Path, Path]) -> None:
    with smtp_server(*certificate) as (port, _):
        await set_server(live_api, port)
        job, _ = await failed_send(live, live_api, "someone@elsewhere.example")
        # An admin retries it from the Jobs API; the server still refuses, in the same words.
        assert (await live_api.post(f"/api/jobs/{job.id}/retry")).status_code == 200
        again = await finished(live, job.id)
    assert job.error == ("The mail server refused the recipient someone@elsewhere.example: "
                         "550 5.7.1 Relaying denied: this server does not relay for you")  # fmt: skip
    assert job.attempts == 1
    assert again.state == "failed" and again.error == job.error and again.attempts == 2


async def test_too_large_for_the_server(live: Runtime, live_api: httpx.AsyncClient,
                                        certificate: tuple[Path, Path]) -> None:  # fmt: skip
    with smtp_server(*certificate, size_limit=2000) as (port, box):
        await set_server(live_api, port)
        job, _ = await failed_send(live, live_api)
    # smtplib announces the size with MAIL FROM, so the server refuses before the data is sent.
    assert job.error == ("The mail server refused the message as too large: "
                         "552 Error: message size exceeds fixed maximum message size")  # fmt: skip
    assert job.attempts == 1 and not box.messages


async def test_a_server_that_hangs(live: Runtime, live_api: httpx.AsyncClient) -> None:
    with silent_server() as port:
        await set_server(live_api, port)
        job, _ = await failed_send(live, live_api)
    assert job.error == f"The mail server 127.0.0.1:{port} did not answer within 1 s"
    assert job.attempts == 2  # a timeout is transient: retried (send_retries=1), then failed


async def test_tls_where_the_server_speaks_plain(live: Runtime, live_api: httpx.AsyncClient,
                                                 certificate: tuple[Path, Path]) -> None:  # fmt: skip
    with smtp_server(*certificate) as (port, _):  # a STARTTLS server, asked for TLS from the start
        await set_server(live_api, port, security="tls")
        job, _ = await failed_send(live, live_api)
    assert job.error is not None and job.error.startswith(f"TLS with 127.0.0.1:{port} failed (WRONG_VERSION_NUMBER)")
    assert job.attempts == 1


async def test_an_untrusted_certificate(tmp_path: Path, certificate: tuple[Path, Path]) -> None:
    settings = make_settings(tmp_path / "other", start_consumer=True, smtp_timeout=1.0, send_retries=1)
    rt = await Runtime.open(settings)
    try:
        from bookshelf.web.app import create_app

        transport = httpx.ASGITransport(app=create_app(settings, rt), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as api:
            key = (await api.post("/api/auth/setup", json={"label": "t"})).json()["key"]
            api.headers["Authorization"] = f"Bearer {key}"
            with smtp_server(*certificate) as (port, _):
                await set_server(api, port)
                job, _ = await failed_send(rt, api)
                test = await api.post("/api/credentials/smtp/test", json={"to": "reader_42@kindle.com"})
    finally:
        await rt.close()
    assert job.error == (f"TLS with 127.0.0.1:{port} failed: the server's certificate was not accepted "
                         "(self-signed certificate)")  # fmt: skip
    assert test.status_code == 200 and test.json()["error"]["message"] == job.error


async def test_transient_refusals_retry_then_succeed(live: Runtime, live_api: httpx.AsyncClient,
                                                     certificate: tuple[Path, Path]) -> None:  # fmt: skip
    with smtp_server(*certificate, mailbox=Mailbox(busy_replies=1)) as (port, box):
        await set_server(live_api, port)
        book = await add_book(live, "Solaris", ["Stanisław Lem"])
        device = await add_device(live_api)
        job = await finished(live, await send(live_api, book.id, device))
    assert job.state == "completed", job.error
    assert job.attempts == 2  # 451 first, accepted on the retry
    assert len(box.messages) == 1


async def test_connection_refused_is_retried(live: Runtime, live_api: httpx.AsyncClient) -> None:
    from tests.mail.smtpd import free_port

    port = free_port()  # nothing listens there
    await set_server(live_api, port)
    job, _ = await failed_send(live, live_api)
    assert job.error == f"The mail server 127.0.0.1:{port} refused the connection"
    assert job.attempts == 2
