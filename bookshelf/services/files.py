"""Where managed files and covers live on disk, resolved without ever leaving their folder."""

from __future__ import annotations

import os
from pathlib import Path

from bookshelf.errors import NotFound
from bookshelf.models import BookFile
from bookshelf.settings import Settings


def root_dir(settings: Settings, root: str) -> Path | None:
    return {"incoming": settings.incoming_dir, "library": settings.library_dir}.get(root)


def file_path(settings: Settings, file: BookFile) -> Path:
    """The absolute path of a book file; NotFound if the record points outside its folder."""
    if file.root == "external":
        path = Path(file.path)
        if not path.is_absolute():
            raise NotFound("File is missing")
        return path
    base = root_dir(settings, file.root)
    if base is None:
        raise NotFound("File is missing")
    return inside(base, file.path)


def inside(base: Path, relative: str) -> Path:
    """``base / relative``, refusing anything that escapes ``base`` (.., absolute, symlinks)."""
    candidate = (base / relative).resolve()
    real_base = base.resolve()
    if candidate != real_base and real_base not in candidate.parents:
        raise NotFound("File is missing")
    return candidate


def cover_path(settings: Settings, sha256: str, thumb: bool = False) -> Path:
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise NotFound("Cover not found")
    name = f"{sha256}.thumb.jpg" if thumb else f"{sha256}.jpg"
    # Resolved like book files: a symlink planted among the covers must not serve outside bytes.
    return inside(settings.covers_dir, f"{sha256[:2]}/{name}")


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (a directory entry is data too)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
