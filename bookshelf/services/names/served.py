"""The ASCII name each file is downloaded under, claimed once and kept until its name changes.

Two books never share one: KOReader saves every download under ``filename=`` in one folder,
so a shared name would overwrite the other book (seven books once all became ``-.epub``).
"""

from __future__ import annotations

from functools import partial

from bookshelf.db import Database
from bookshelf.db import names as name_rows
from bookshelf.db.connection import inline
from bookshelf.models import BookFile
from bookshelf.services.names.translit import ascii_name


async def served_ascii_name(db: Database, file: BookFile) -> str:
    """The file's ASCII download name: claimed on its first download, the same on every surface."""
    file_id, book_id = file.id, file.book_id
    filename = file.filename if file.filename.lower().endswith(f".{file.format.lower()}") else (
        f"{file.filename}.{file.format.lower()}")  # fmt: skip
    # Every download after the first finds its name with one point read on the loop's connection.
    known = await db.read(inline(partial(name_rows.ascii_name, file_id=file_id)), on_loop=True)
    if known:
        return known
    options = [ascii_name(filename, book_id), ascii_name(filename, book_id, book_id[:8]),
               ascii_name(filename, book_id, file_id[:8]), ascii_name(filename, book_id, file_id)]  # fmt: skip
    # A claim is a point update: done on the loop when the writer is free, else one trip to it;
    # a download must not hold the write lock (and every KOReader sync behind it) for long.
    claim = partial(name_rows.claim_first_ascii_name, file_id=file_id, options=list(dict.fromkeys(options)))
    return await db.write(inline(claim), on_loop=True) or options[-1]  # None: the file's row vanished meanwhile
