"""Sending a book to a device: checked and queued on request, delivered by a `send` job.

Everything that can be known before sending (the device, the mail server, a file in the
device's format, the size limit) is checked when the send is asked for, so the answer says
why at once; the job checks again, because a book or a device can change while it waits.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from bookshelf.db import Database
from bookshelf.db import books as book_rows
from bookshelf.db import devices as device_rows
from bookshelf.db.devices import Sending
from bookshelf.db.jobs import Job
from bookshelf.errors import Conflict, NotFound
from bookshelf.models import MEDIA_TYPES
from bookshelf.services.jobs import JobService
from bookshelf.services.mail import message, transport
from bookshelf.services.mail.choice import Unsendable, pick
from bookshelf.services.mail.devices import DeviceService
from bookshelf.services.mail.server import MailServerSettings, SmtpServer
from bookshelf.services.preferences import PreferenceService
from bookshelf.services.storage import files
from bookshelf.settings import Settings

log = logging.getLogger("bookshelf.mail")
TASK = "send_book"
MB = 1_000_000


@dataclass(frozen=True)
class Delivery:
    """One book file on its way to one address: what the worker thread needs, nothing more."""

    server: SmtpServer
    to: str
    title: str
    path: Path
    filename: str
    fmt: str
    size: int
    book_id: str


class SendService:
    def __init__(self, db: Database, settings: Settings, preferences: PreferenceService,
                 server: MailServerSettings, devices: DeviceService, jobs: JobService) -> None:  # fmt: skip
        self.db = db
        self.settings = settings
        self.preferences = preferences
        self.server = server
        self.devices = devices
        self.jobs = jobs

    # -- asked for (HTTP) --------------------------------------------------------

    async def request(self, user_id: str, book_id: str, device_id: str) -> Job:
        """Check everything knowable now, then queue the send; 202 with the job at the edge.
        A send of this book to this device still waiting is returned rather than doubled."""
        await self.delivery(user_id, book_id, device_id)
        async with self.db.write() as conn:
            open_job = await device_rows.open_sending(conn, book_id, device_id)
            if open_job is not None:
                return open_job
            job, _ = await self.jobs.prepare(conn, TASK, book_id, fresh=True, device_id=device_id, user_id=user_id)
        await self.jobs.submit(job)
        return job

    async def sendings(self, user_id: str, book_id: str) -> list[Sending]:
        async with self.db.read() as conn:
            book = await book_rows.get(conn, book_id, with_files=False)
            if book is None or book.status != "organized":
                raise NotFound("Book not found")
            return await device_rows.sendings(conn, user_id, book_id)

    async def retry(self, user_id: str, book_id: str, job_id: str) -> Job:
        """A reader's own failed send, queued again (the Jobs API is an admin's)."""
        job = await self.jobs.get(job_id)
        if job is None or job.queue != "send" or job.book_id != book_id or job.args.get("user_id") != user_id:
            raise NotFound("Send not found")
        return await self.jobs.retry(job_id)

    # -- the job -----------------------------------------------------------------

    async def delivery(self, user_id: str, book_id: str, device_id: str) -> Delivery:
        """What to send where, or the reason it cannot go (a Conflict: the job fails at once)."""
        device = await self.devices.get(user_id, device_id)
        async with self.db.read() as conn:
            book = await book_rows.get(conn, book_id)
        if book is None or book.status != "organized":
            raise NotFound("Book not found")
        server = await self._ready_server()
        chosen = pick(book.files, device.format, device.email)
        limit_mb = int(self.preferences.get("sendMaxMb"))
        if chosen.size > limit_mb * MB:
            raise Unsendable(
                f"The {chosen.format.upper()} file is {chosen.size / MB:.1f} MB, over the {limit_mb} MB limit for "
                "sending (sendMaxMb in Settings; Send to Kindle takes at most 50 MB)",
                "too_large",
            )
        path = files.file_path(self.settings, chosen)
        return Delivery(server, device.email, book.title or chosen.filename, path, chosen.filename, chosen.format,
                        chosen.size, book.id)  # fmt: skip

    async def _ready_server(self) -> SmtpServer:
        server = await self.server.server()
        if server is None:
            raise Conflict("No mail server is set up (Settings → Mail)", details=[{"code": "smtp_not_configured"}])
        if not server.sender:
            raise Conflict("The mail server has no sender address (BOOKSHELF_SMTP_FROM)",
                           details=[{"code": "smtp_not_configured"}])  # fmt: skip
        return server

    def deliver(self, delivery: Delivery) -> None:
        """Blocking: run in a worker thread."""
        deliver(delivery, self.settings.smtp_timeout, self.settings.smtp_ca_file)

    # -- the test button ---------------------------------------------------------

    async def send_test(self, to: str) -> None:
        server = await self._ready_server()
        raw = message.probe_message(sender=server.sender, to=to)
        s = self.settings
        await asyncio.to_thread(transport.send, server, to, raw, s.smtp_timeout, s.smtp_ca_file)


def deliver(delivery: Delivery, timeout: float, ca_file: str = "") -> None:
    """Read the file, write the message and hand it to the server (blocking)."""
    try:
        data = delivery.path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"The {delivery.fmt.upper()} file is missing from the library folder") from None
    raw = message.book_message(
        sender=delivery.server.sender, to=delivery.to, title=delivery.title, filename=delivery.filename,
        fmt=delivery.fmt, media_type=MEDIA_TYPES.get(delivery.fmt, "application/octet-stream"), data=data,
        book_id=delivery.book_id,
    )  # fmt: skip
    transport.send(delivery.server, delivery.to, raw, timeout, ca_file)
    log.info("sent a %s file of %d bytes by mail", delivery.fmt, len(data))
