"""Queue tasks: thin plain functions that take ids, run CPU work here in the worker thread,
and reach the services on the server's loop. Each is safe to run twice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bookshelf.taskqueue import TaskSpec, on_loop

if TYPE_CHECKING:
    from bookshelf.runtime import Runtime


def task_specs(rt: Runtime) -> list[TaskSpec]:
    def parse_book(book_id: str) -> None:
        assert rt.loop is not None
        source = on_loop(rt.loop, rt.ingest.parse_source(book_id))
        if source is None:
            return  # deleted or already parsed
        path, _ = source
        # In the parse worker process; FormatError: the job fails at once with the reader's sentence.
        parsed, cover = rt.parser.parse(path)
        on_loop(rt.loop, rt.ingest.save_parsed(book_id, parsed, cover))

    def lookup_metadata(book_id: str, bypass_cache: bool = False) -> None:
        assert rt.loop is not None
        on_loop(rt.loop, rt.library_jobs.lookup_metadata(book_id, bypass_cache))

    def organize_book(book_id: str) -> None:
        assert rt.loop is not None
        on_loop(rt.loop, rt.library_jobs.organize_book(book_id))

    def reorganize_all() -> None:
        assert rt.loop is not None
        on_loop(rt.loop, rt.library_jobs.reorganize_all())

    def send_book(book_id: str, device_id: str, user_id: str) -> None:
        assert rt.loop is not None
        delivery = on_loop(rt.loop, rt.sender.delivery(user_id, book_id, device_id))
        rt.sender.deliver(delivery)  # reads the file and talks SMTP here, in the worker thread

    return [
        TaskSpec("parse_book", "parse", parse_book),
        TaskSpec("lookup_metadata", "metadata", lookup_metadata),
        TaskSpec("organize_book", "organize", organize_book),
        TaskSpec("reorganize_all", "organize", reorganize_all),
        TaskSpec("send_book", "send", send_book, retries=rt.settings.send_retries),
    ]
