"""The ASCII name each file is downloaded under, claimed once and kept until its name changes.

Two books never share one: KOReader saves every download under ``filename=`` in one folder,
so a shared name would overwrite the other book (seven books once all became ``-.epub``).
"""

from __future__ import annotations

from bookshelf.db import Database
from bookshelf.db import names as name_rows
from bookshelf.models import BookFile
from bookshelf.services.names.translit import ascii_name


async def served_ascii_name(db: Database, file: BookFile) -> str:
    """The file's ASCII download name: claimed on its first download, the same on every surface."""
    file_id, book_id = file.id, file.book_id
    filename = file.filename if file.filename.lower().endswith(f".{file.format.lower()}") else (
        f"{file.filename}.{file.format.lower()}")  # fmt: skip
    async with db.read() as conn:
        known = await name_rows.ascii_name(conn, file_id)
    if known:
        return known
    options = [ascii_name(filename, book_id), ascii_name(filename, book_id, book_id[:8]),
               ascii_name(filename, book_id, file_id[:8]), ascii_name(filename, book_id, file_id)]  # fmt: skip
    async with db.write() as conn:
        known = await name_rows.ascii_name(conn, file_id)
        if known:
            return known
        for option in dict.fromkeys(options):
            if await name_rows.claim_ascii_name(conn, file_id, option):
                return option
    return options[-1]  # a file id is unique: only a vanished row gets here
