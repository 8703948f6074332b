"""A real SMTP server for the mail tests: aiosmtpd on a loopback port, with AUTH, STARTTLS or
implicit TLS (a self-signed certificate made by openssl for the test), and the refusals real
servers give: 550 relay denied, 552 too large, 451 try again, and a server that never answers."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.strict import skip_or_fail

USER, PASSWORD = "reader@example.org", "s3cret-Pässword"
LOCAL_DOMAINS = ("kindle.com", "example.org", "pocketbook.example")


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, valid for a day."""
    if shutil.which("openssl") is None:
        skip_or_fail("the openssl command is not installed (apt-get install openssl)")
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    login: str | None

    def parsed(self) -> Message:
        return BytesParser(policy=policy.compat32).parsebytes(self.raw)


@dataclass
class Mailbox:
    """The server's behaviour and what it received."""

    messages: list[Received] = field(default_factory=list)
    busy_replies: int = 0  # answer 451 to this many RCPTs first
    arrived: threading.Event = field(default_factory=threading.Event)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if self.busy_replies > 0:
            self.busy_replies -= 1
            return "451 4.3.0 Mailbox temporarily unavailable, try again later"
        if address.rsplit("@", 1)[-1].lower() not in LOCAL_DOMAINS:
            return "550 5.7.1 Relaying denied: this server does not relay for you"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        login = session.auth_data.decode() if isinstance(session.auth_data, bytes) else None
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content, login))
        self.arrived.set()
        return "250 2.0.0 Message accepted for delivery"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and data.login == USER.encode() and data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False, auth_data=data.login if ok else None)


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@contextmanager
def smtp_server(cert: Path, key: Path, *, mode: str = "starttls", size_limit: int = 33_554_432,
                mailbox: Mailbox | None = None) -> Iterator[tuple[int, Mailbox]]:  # fmt: skip
    """mode: starttls (STARTTLS required, then AUTH required), tls (implicit TLS, AUTH required) or
    none (plain, no login: a LAN relay)."""
    box = mailbox or Mailbox()
    port = free_port()
    context = server_context(cert, key)
    options: dict[str, Any] = {"data_size_limit": size_limit, "ident": "bookshelf test SMTP"}
    if mode == "starttls":
        options.update(tls_context=context, require_starttls=True, auth_required=True, authenticator=_authenticator)
    elif mode == "tls":
        # aiosmtpd counts only STARTTLS as TLS for AUTH; this whole connection is TLS already.
        options.update(ssl_context=context, auth_required=True, auth_require_tls=False, authenticator=_authenticator)
    controller = Controller(box, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield port, box
    finally:
        controller.stop()


@contextmanager
def silent_server() -> Iterator[int]:
    """Accepts connections and never says a word (a hung or firewalled-silent server)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                held.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()
