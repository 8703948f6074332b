"""The SMTP conversation (stdlib smtplib, blocking: run it in a worker thread), and every way it
can fail turned into a sentence that quotes the server's own reply.

smtplib in a thread rather than aiosmtplib: sends run in the queue's worker threads, which are
already threads, and the test button runs one short conversation via asyncio.to_thread; an
async client would add a dependency for no gain.
"""

from __future__ import annotations

import base64
import smtplib
import socket
import ssl

from bookshelf.errors import UpstreamError
from bookshelf.services.mail.server import SmtpServer


class SendFailed(UpstreamError):
    """The mail server (or the way to it) said no. ``reason``: auth, recipient, sender, too_large,
    refused, tls, timeout, connect, dns, disconnected. Transient ones are retried."""


def tls_context(ca_file: str = "") -> ssl.SSLContext:
    """The system's trusted authorities, plus the given PEM file (a server with its own CA)."""
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


def send(server: SmtpServer, recipient: str, raw: bytes, timeout: float, ca_file: str = "") -> None:
    """Deliver ``raw`` to ``recipient``; raises SendFailed with the reason, never returns half-sent."""
    where = f"{server.host}:{server.port}"
    client: smtplib.SMTP | None = None
    try:
        context = tls_context(ca_file) if server.security != "none" else None
        if server.security == "tls":
            client = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=timeout)
        client.ehlo()
        if server.security == "starttls":
            if not client.has_extn("starttls"):
                raise SendFailed(f"The mail server {where} does not offer STARTTLS; "
                                 "set security to tls (port 465) or none", reason="tls")  # fmt: skip
            client.starttls(context=context)
            client.ehlo()
        if server.username:
            if not client.has_extn("auth"):
                raise SendFailed(f"The mail server {where} does not offer a login (AUTH) on this connection",
                                 reason="auth")  # fmt: skip
            login(client, server.username, server.password or "")
        client.sendmail(server.sender, [recipient], raw)
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            pass  # the message was accepted; a rude goodbye changes nothing
    except SendFailed:
        raise
    except smtplib.SMTPServerDisconnected as exc:
        # smtplib reports a read that timed out as a disconnection; say what really happened.
        if isinstance(exc.__context__, TimeoutError):
            raise _timeout(where, timeout) from None
        raise SendFailed(f"The mail server {where} closed the connection ({exc})", reason="disconnected",
                         transient=True) from None  # fmt: skip
    except smtplib.SMTPException as exc:
        raise _refusal(exc, where) from None
    except ssl.SSLCertVerificationError as exc:
        raise SendFailed(f"TLS with {where} failed: the server's certificate was not accepted "
                         f"({exc.verify_message or exc.reason})", reason="tls") from None  # fmt: skip
    except ssl.SSLError as exc:
        raise SendFailed(f"TLS with {where} failed ({exc.reason or exc}); check the security setting "
                         "(465 is usually tls, 587 starttls)", reason="tls") from None  # fmt: skip
    except TimeoutError:
        raise _timeout(where, timeout) from None
    except ConnectionRefusedError:
        raise SendFailed(f"The mail server {where} refused the connection", reason="connect",
                         transient=True) from None  # fmt: skip
    except socket.gaierror as exc:
        raise SendFailed(f"The mail server's name {server.host!r} could not be found ({exc.strerror})",
                         reason="dns") from None  # fmt: skip
    except OSError as exc:
        raise SendFailed(f"Could not reach the mail server {where}: {exc.strerror or exc}", reason="connect",
                         transient=True) from None  # fmt: skip
    finally:
        if client is not None:
            client.close()


def login(client: smtplib.SMTP, username: str, password: str) -> None:
    """smtplib's login encodes the credentials as ASCII and fails on any other letter; RFC 4616
    says AUTH PLAIN carries UTF-8, so such credentials are sent that way ourselves."""
    if (username + password).isascii() or "PLAIN" not in client.esmtp_features.get("auth", "").upper().split():
        client.login(username, password)
        return
    token = base64.b64encode(b"\0" + username.encode() + b"\0" + password.encode()).decode("ascii")
    code, reply = client.docmd("AUTH", "PLAIN " + token)
    if code not in (235, 503):  # 503: already authenticated
        raise smtplib.SMTPAuthenticationError(code, reply)


def _words(code: int, text: bytes | str) -> str:
    said = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(said.split())}".strip()


def _refusal(exc: smtplib.SMTPException, where: str) -> SendFailed:
    """An SMTP reply as a failure: what was refused, and the server's words."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        address, (code, text) = next(iter(exc.recipients.items()))
        return _coded(f"The mail server refused the recipient {address}", code, text, "recipient")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return _coded("The mail server refused the login", exc.smtp_code, exc.smtp_error, "auth")
    if isinstance(exc, smtplib.SMTPSenderRefused) and exc.smtp_code == 552:
        # The size the client announced with MAIL FROM is over the server's limit.
        return _coded("The mail server refused the message as too large", exc.smtp_code, exc.smtp_error, "too_large")
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return _coded(f"The mail server refused the sender {exc.sender}", exc.smtp_code, exc.smtp_error, "sender")
    if isinstance(exc, smtplib.SMTPDataError):
        if exc.smtp_code == 552:
            return _coded("The mail server refused the message as too large", exc.smtp_code, exc.smtp_error,
                          "too_large")  # fmt: skip
        return _coded("The mail server refused the message", exc.smtp_code, exc.smtp_error, "refused")
    if isinstance(exc, smtplib.SMTPResponseException):
        return _coded(f"The mail server {where} answered", exc.smtp_code, exc.smtp_error, "refused")
    return SendFailed(f"Mail to {where} failed: {exc}", reason="refused")


def _timeout(where: str, timeout: float) -> SendFailed:
    return SendFailed(f"The mail server {where} did not answer within {timeout:g} s", reason="timeout",
                      transient=True)  # fmt: skip


def _coded(what: str, code: int, text: bytes | str, reason: str) -> SendFailed:
    # 4xx is the server's "try again later"; 5xx is final until something changes.
    return SendFailed(f"{what}: {_words(code, text)}", reason=reason, transient=400 <= code < 500)
