"""Queue tasks: thin plain functions that take ids, run CPU work here in the worker thread,
and reach the services on the server's loop. Each is safe to run twice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bookshelf.taskqueue import TaskSpec, on_loop

if TYPE_CHECKING:
    from bookshelf.runtime import Runtime


def task_specs(rt: Runtime) -> list[TaskSpec]:
    def parse_book(book_id: str) -> None:
        from bookshelf.formats import read_book
        from bookshelf.services.ingest import store_cover

        assert rt.loop is not None
        source = on_loop(rt.loop, rt.ingest.parse_source(book_id))
        if source is None:
            return  # deleted or already parsed
        path, _ = source
        parsed = read_book(path)  # FormatError: the job fails at once with the reader's sentence
        cover = store_cover(rt.settings, parsed.cover) if parsed.cover else None
        on_loop(rt.loop, rt.ingest.save_parsed(book_id, parsed, cover))

    def lookup_metadata(book_id: str) -> None:
        from bookshelf.services.review import lookup_metadata as lookup

        assert rt.loop is not None
        on_loop(rt.loop, lookup(rt.db, book_id))

    return [TaskSpec("parse_book", "parse", parse_book), TaskSpec("lookup_metadata", "metadata", lookup_metadata)]
