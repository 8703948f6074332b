"""Which of a book's files goes to a device: the device's format, never a conversion, and for
Send to Kindle only what Amazon takes (MOBI and AZW3 have been refused there since 2022)."""

from __future__ import annotations

from bookshelf.errors import Conflict
from bookshelf.models import BookFile
from bookshelf.services.mail.addresses import is_kindle

ORDER = ("epub", "pdf", "azw3", "mobi", "cbz", "cbr")  # the first one the book has is "original"
AMAZON_TAKES = ("epub", "pdf")


class Unsendable(Conflict):
    """The book cannot go to this device as it is; the sentence says why (before anything is sent)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, details=[{"code": code}])


def pick(files: list[BookFile], device_format: str, email: str) -> BookFile:
    formats = sorted({f.format for f in files}, key=lambda f: ORDER.index(f) if f in ORDER else len(ORDER))
    kindle = is_kindle(email)
    if kindle and formats and all(f in ("mobi", "azw3") for f in formats):
        raise Unsendable(
            f"Send to Kindle refuses MOBI and AZW3 files (Amazon stopped taking them in 2022) and this book has "
            f"only {_names(formats)}; add an EPUB or PDF of it",
            "kindle_format",
        )
    if device_format in ("epub", "pdf"):
        wanted = [f for f in files if f.format == device_format]
        if not wanted:
            have = f"it has {_names(formats)}" if formats else "it has no file"
            raise Unsendable(
                f"This book has no {device_format.upper()} file ({have}); bookshelf sends files as they are and "
                "does not convert them, so choose another format for the device or add that file",
                "no_file_in_format",
            )
        return max(wanted, key=lambda f: f.added_at)
    usable = [f for f in files if f.format in (AMAZON_TAKES if kindle else ORDER)]
    if not usable:
        raise Unsendable(
            f"Send to Kindle takes none of this book's files ({_names(formats)}); add an EPUB or PDF of it"
            if kindle and formats
            else "This book has no file to send",
            "no_file_in_format",
        )
    return min(usable, key=lambda f: ORDER.index(f.format))


def _names(formats: list[str]) -> str:
    return ", ".join(f.upper() for f in formats)
