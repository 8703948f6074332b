"""The in-browser reader: which file of a book is read and how, and the positions it writes.

Owns choosing the readable file, its comic pages, and the web reader's writes; it calls the
library (files), the page renderer and the reading service (the same write path as KOReader's
kosync PUT), and formats (ComicInfo reading direction, XPointer syntax). Nothing here speaks HTTP.
May call services.library, services.reading and bookshelf.formats.
"""

from bookshelf.services.reader.session import READABLE, ReaderService, ReaderView

__all__ = ["READABLE", "ReaderService", "ReaderView"]
