"""Generated covers, cached on disk like real ones: covers/generated/<key[:2]>/<key>.jpg and .thumb.jpg.

A book without a cover of its own is served a placeholder drawn from its title, author and
series (bookshelf.formats.placeholder). The picture is drawn once per distinct text and kept;
the key changes with the text, so an edited title gets a fresh picture and a fresh URL.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bookshelf.formats import placeholder
from bookshelf.formats.covers import make_thumbnail
from bookshelf.models import Book
from bookshelf.services.storage import durable
from bookshelf.services.storage.files import inside
from bookshelf.settings import Settings

MEDIA_TYPE = "image/jpeg"


def token(book: Book) -> str:
    """The version token of the book's generated cover, as used in ?v= and ETags."""
    return placeholder.book_token(book.title, book.authors, book.series, book.series_index)


def _text(book: Book) -> tuple[str | None, str | None, str | None]:
    return placeholder.book_text(book.title, book.authors, book.series, book.series_index)


class GeneratedCovers:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def path(self, book: Book, thumb: bool) -> tuple[Path, str]:
        """(file, token) of the book's placeholder, drawn and stored first when not yet on disk."""
        key = token(book)[1:]
        full = inside(self.settings.covers_dir, f"generated/{key[:2]}/{key}.jpg")
        small = full.with_name(f"{key}.thumb.jpg")
        wanted = small if thumb else full
        if not wanted.is_file():
            await asyncio.to_thread(self._draw, book, full, small)
        return wanted, "g" + key

    @staticmethod
    def _draw(book: Book, full: Path, small: Path) -> None:
        data = placeholder.render(*_text(book))
        full.parent.mkdir(parents=True, exist_ok=True)
        for path, content in ((full, data), (small, make_thumbnail(data))):
            # Written aside and renamed: two requests drawing the same cover never serve half a file.
            durable.put_aside(path, content)
