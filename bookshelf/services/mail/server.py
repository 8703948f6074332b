"""The outgoing mail server's settings: stored with the password sealed, or set by environment."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bookshelf import clock
from bookshelf.db import Database
from bookshelf.db import smtp as rows
from bookshelf.errors import Conflict, InvalidInput
from bookshelf.services.access.secrets_box import SealBox
from bookshelf.services.mail.addresses import address
from bookshelf.settings import Settings

SECURITY = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
_HOST = re.compile(r"^[A-Za-z0-9._:\[\]-]{1,253}$")
FIELDS = {"host", "port", "security", "username", "password", "from"}


@dataclass(frozen=True)
class SmtpServer:
    """Everything needed to talk to the server. Never logged: repr leaves the password out."""

    host: str
    port: int
    security: str
    username: str | None
    password: str | None = field(repr=False)
    sender: str


class MailServerSettings:
    """GET/PUT/DELETE /api/credentials/smtp, and the server the sender uses."""

    def __init__(self, db: Database, settings: Settings, box: SealBox) -> None:
        self.db = db
        self.settings = settings
        self.box = box

    def _env(self) -> SmtpServer | None:
        s = self.settings
        if not s.smtp_host:
            return None
        port = s.smtp_port or DEFAULT_PORTS[s.smtp_security]
        return SmtpServer(s.smtp_host, port, s.smtp_security, s.smtp_username or None, s.smtp_password or None,
                          s.smtp_from)  # fmt: skip

    async def server(self) -> SmtpServer | None:
        """The server to use, with the password in clear (for the SMTP login only)."""
        env = self._env()
        if env is not None:
            return env
        async with self.db.read() as conn:
            row = await rows.get(conn)
        if row is None:
            return None
        password = self.box.open(row.password) if row.password is not None else None
        return SmtpServer(row.host, row.port, row.security, row.username, password, row.sender)

    async def status(self) -> dict[str, Any]:
        env = self._env()
        if env is not None:
            return {**_public(env), "source": "environment", "createdAt": None, "updatedAt": None}
        async with self.db.read() as conn:
            row = await rows.get(conn)
        if row is None:
            return {"service": "smtp", "configured": False}
        server = SmtpServer(row.host, row.port, row.security, row.username, None, row.sender)
        body = _public(server)
        body.update(passwordSet=row.password is not None, source="settings", createdAt=row.created_at,
                    updatedAt=row.updated_at)  # fmt: skip
        return body

    async def set(self, payload: Any) -> dict[str, Any]:
        self._refuse_env()
        if not isinstance(payload, dict):
            raise InvalidInput("Body must be a JSON object")
        unknown = sorted(set(payload) - FIELDS)
        if unknown:
            raise InvalidInput("Unknown fields", details=[{"field": n, "message": "unknown field"} for n in unknown])
        security = payload.get("security", "starttls")
        if security not in SECURITY:
            raise InvalidInput("security must be starttls, tls or none", details=[{"field": "security"}])
        host = payload.get("host")
        if not isinstance(host, str) or not _HOST.fullmatch(host):
            raise InvalidInput("host must be a host name or address", details=[{"field": "host"}])
        port = payload.get("port", DEFAULT_PORTS[security])
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            raise InvalidInput("port must be a whole number from 1 to 65535", details=[{"field": "port"}])
        sender = address(payload, "from")
        username = _optional_text(payload, "username", 200)
        password = _optional_text(payload, "password", 1024)
        now = clock.now_iso()
        async with self.db.write() as conn:
            old = await rows.get(conn)
            if password is not None:
                sealed: bytes | None = self.box.seal(password)
            else:  # no new password: keep the stored one while there is a user name to use it with
                sealed = old.password if old is not None and username else None
            await rows.upsert(conn, rows.SmtpRow(host, port, security, username, sealed, sender,
                                                 old.created_at if old else now, now))  # fmt: skip
        return await self.status()

    async def delete(self) -> bool:
        """Forget the stored server; False when there was none (deleting nothing is not an error)."""
        self._refuse_env()
        async with self.db.write() as conn:
            return await rows.delete(conn)

    def _refuse_env(self) -> None:
        if self._env() is not None:
            raise Conflict("The mail server is set by environment variables", details=[{"code": "env_override"}])


def _public(server: SmtpServer) -> dict[str, Any]:
    return {"service": "smtp", "configured": True, "host": server.host, "port": server.port,
            "security": server.security, "username": server.username, "from": server.sender,
            "passwordSet": server.password is not None}  # fmt: skip


def _optional_text(payload: dict[str, Any], name: str, high: int) -> str | None:
    value = payload.get(name)
    if value is None or (value == "" and name == "username"):  # an empty user name: no login
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= high or "\n" in value or "\r" in value:
        raise InvalidInput(f"{name} must be a string of 1 to {high} characters on one line",
                           details=[{"field": name, "message": f"string of 1..{high} characters"}])  # fmt: skip
    return value
