"""Moving and copying users' files without ever losing one, and names that are safe to use.

A move is a rename when source and target share a filesystem. Otherwise it is a copy to a
temporary name, fsync, a SHA-256 check against the source's hash, a rename into place, and
only then the removal of the source.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
from pathlib import Path

from bookshelf.services.files import fsync_dir
from bookshelf.services.names import disk

_CHUNK = 1024 * 1024


class VerifyError(OSError):
    """A copy's bytes differ from the source's: the source is kept."""


def safe_name(raw: str, fallback: str = "book") -> str:
    """A plain basename from a name given from outside; the rule is ``names.disk.safe_name``."""
    return disk.safe_name(raw, fallback)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def copy_verified(src: Path, dst: Path, sha256: str) -> None:
    """Copy ``src`` to ``dst`` durably and prove the bytes match ``sha256``; ``src`` is untouched."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    # A short hidden name: ``dst`` may already be at the 255-byte limit.
    short = hashlib.sha1(os.fsencode(dst.name), usedforsecurity=False).hexdigest()[:16]
    part = dst.with_name(f".{short}.bookshelf-part")
    try:
        with open(src, "rb") as reader, open(part, "wb") as writer:
            shutil.copyfileobj(reader, writer, _CHUNK)
            writer.flush()
            os.fsync(writer.fileno())
        if sha256_of(part) != sha256:
            raise VerifyError(errno.EIO, f"copy of {src.name} does not match its SHA-256")
        os.replace(part, dst)
    finally:
        part.unlink(missing_ok=True)
    fsync_dir(dst.parent)


def move_verified(src: Path, dst: Path, sha256: str) -> None:
    """Move ``src`` to ``dst``: rename on one filesystem, verified copy then unlink across two."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(src, dst)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        copy_verified(src, dst, sha256)
        src.unlink()
    fsync_dir(dst.parent)


def unique_target(folder: Path, name: str) -> Path:
    """A path in ``folder`` named like ``name`` that nothing else holds; reserved by creating it."""
    folder.mkdir(parents=True, exist_ok=True)
    stem, ext = disk.split_extension(name)
    for n in range(1, 10_000):
        candidate = folder / (name if n == 1 else disk.safe_filename(stem, ext, f" ({n})"))
        try:
            fd = os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            continue
        os.close(fd)
        return candidate
    raise OSError(errno.EEXIST, f"no free name for {name} in {folder}")


def remove_empty_parents(path: Path, stop: Path) -> None:
    """Remove now-empty folders from ``path`` up to, not including, ``stop``."""
    stop = stop.resolve()
    current = path.resolve()
    while current != stop and stop in current.parents:
        try:
            current.rmdir()
        except OSError:
            return
        current = current.parent
