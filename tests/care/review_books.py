"""Books in review, inserted fast for bulk tests and the bulk benchmark (no network, no parsing)."""

from __future__ import annotations

import hashlib
import uuid

from bookshelf import clock
from bookshelf.db import books as book_rows
from bookshelf.db import candidates as candidate_rows
from bookshelf.models import Book, BookFile, Candidate
from bookshelf.runtime import Runtime


async def review_books(rt: Runtime, count: int) -> list[str]:
    """Books in review as ingest and a lookup leave them: a small file in incoming, a `file` candidate and a
    provider candidate (no cover, so nothing reaches the network)."""
    now = clock.now_iso()
    ids = []
    async with rt.db.write() as conn:
        for n in range(count):
            book = Book(id=str(uuid.uuid4()), status="review", title=f"File Title {n}", authors=["File Author"],
                        language="en", created_at=now, updated_at=now)  # fmt: skip
            data = f"book {n}".encode()
            (rt.settings.incoming_dir / book.id).mkdir(parents=True)
            (rt.settings.incoming_dir / book.id / "book.epub").write_bytes(data)
            await book_rows.insert(conn, book)
            await book_rows.insert_file(conn, BookFile(
                id=str(uuid.uuid4()), book_id=book.id, format="epub", root="incoming", path=f"{book.id}/book.epub",
                filename="book.epub", size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                koreader_hash=hashlib.md5(data).hexdigest(), page_count=None, added_at=now))  # fmt: skip
            file_data = {"title": book.title, "authors": book.authors, "language": "en"}
            remote = {"title": f"Provider Title {n}", "authors": ["Provider Author"], "publisher": "Ace",
                      "publishedYear": 1969, "language": "fr"}  # fmt: skip
            for source, score, values in (("file", 1.0, file_data), ("google_books", 0.8, remote)):
                await candidate_rows.insert(conn, Candidate(id=str(uuid.uuid4()), book_id=book.id, source=source,
                                                            source_id=None, score=score, data=values,
                                                            fetched_at=now))  # fmt: skip
            ids.append(book.id)
    return ids
