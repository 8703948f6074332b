"""Where managed files and covers live on disk, resolved without ever leaving their folder."""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

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
    real_base = _real(base)
    parts = PurePosixPath(relative).parts
    if relative and not relative.startswith(("/", "\\")) and ".." not in parts and _no_links(real_base, parts):
        # Nothing below the base to follow: the same answer as resolving the whole path, without
        # an lstat of every folder from / down (organizing thousands of books asks this often).
        return real_base.joinpath(*parts)
    candidate = (base / relative).resolve()
    if candidate != real_base and real_base not in candidate.parents:
        raise NotFound("File is missing")
    return candidate


def _real(base: Path) -> Path:
    """The resolved form of one of our roots (they are few; keyed by the configured path)."""
    key = str(base)
    real = _REAL_BASES.get(key)
    if real is None:
        real = _REAL_BASES[key] = base.resolve()
    return real


_REAL_BASES: dict[str, Path] = {}


def _no_links(real_base: Path, parts: tuple[str, ...]) -> bool:
    """True when no existing component of ``parts`` below ``real_base`` is a symlink."""
    current = real_base
    for part in parts:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            return True  # the rest does not exist yet: there is nothing to follow
        except OSError:
            return False  # let the full resolution decide
        if stat.S_ISLNK(mode):
            return False
    return True


def cover_path(settings: Settings, sha256: str, thumb: bool = False) -> Path:
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise NotFound("Cover not found")
    name = f"{sha256}.thumb.jpg" if thumb else f"{sha256}.jpg"
    # Resolved like book files: a symlink planted among the covers must not serve outside bytes.
    return inside(settings.covers_dir, f"{sha256[:2]}/{name}")
