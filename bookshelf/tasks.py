"""Queue tasks: thin plain functions that take ids, run CPU work here in the worker thread,
and reach the services on the server's loop. Each is safe to run twice.

Every task the queue knows is defined here; the composition root hands in the services they call.
"""

from __future__ import annotations

import asyncio

from bookshelf.services.importing.service import TASK as IMPORT_TASK
from bookshelf.services.importing.service import ImportService
from bookshelf.services.ingest.pipeline import IngestService
from bookshelf.services.mail.send import SendService
from bookshelf.services.metadata.library_jobs import LibraryJobs
from bookshelf.settings import Settings
from bookshelf.taskqueue import TaskSpec, on_loop


def task_specs(
    loop: asyncio.AbstractEventLoop,
    settings: Settings,
    ingest: IngestService,
    library_jobs: LibraryJobs,
    sender: SendService,
    importer: ImportService,
) -> list[TaskSpec]:
    def parse_book(book_id: str) -> None:
        ingest.parse(book_id)  # read in the parse worker process (or this thread), saved on the loop

    def lookup_metadata(book_id: str, bypass_cache: bool = False) -> None:
        on_loop(loop, library_jobs.lookup_metadata(book_id, bypass_cache))

    def organize_book(book_id: str) -> None:
        on_loop(loop, library_jobs.organize_book(book_id))

    def reorganize_all() -> None:
        on_loop(loop, library_jobs.reorganize_all())

    def send_book(book_id: str, device_id: str, user_id: str) -> None:
        delivery = on_loop(loop, sender.delivery(user_id, book_id, device_id))
        sender.deliver(delivery)  # reads the file and talks SMTP here, in the worker thread

    def import_library(run_id: str) -> None:
        on_loop(loop, importer.run_job(run_id))

    return [
        TaskSpec("parse_book", "parse", parse_book),
        TaskSpec("lookup_metadata", "metadata", lookup_metadata),
        TaskSpec("organize_book", "organize", organize_book),
        TaskSpec("reorganize_all", "organize", reorganize_all),
        TaskSpec("send_book", "send", send_book, retries=settings.send_retries),
        TaskSpec(IMPORT_TASK, "maintenance", import_library),
    ]
