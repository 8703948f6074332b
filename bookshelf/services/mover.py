"""Moving book files without ever overwriting one or leaving one half-written.

Blocking functions, run in a worker thread. Same filesystem: a hard link then an
unlink (rename semantics that refuse to replace an existing name). Across
filesystems, or where links are not supported: copy to a hidden part file,
fsync, verify SHA-256, link or rename it into place, then remove the source.
Every step that changes a directory is followed by an fsync of that directory.
"""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

from bookshelf.services.files import fsync_dir

CHUNK = 1024 * 1024
# Errors that mean "no hard link here": another filesystem, or one without links (exFAT, some SMB).
_NO_LINK = {errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS}


class MoveError(OSError):
    """A move could not be done; the source is untouched."""


def part_path(dst: Path, move_id: int) -> Path:
    """The hidden name a cross-filesystem copy is written under before it takes its real name."""
    return dst.parent / f".bookshelf-move-{move_id}.part"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def make_dirs(folder: Path, stop: Path) -> None:
    """Create ``folder`` and its missing parents below ``stop``, each made durable in its parent."""
    missing = []
    current = folder
    while not current.exists() and current != stop and current != current.parent:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:
            pass
        fsync_dir(path.parent)


def copy_durable(src: Path, dst: Path) -> str:
    """Copy ``src`` to a new file ``dst`` (never an existing one), fsynced; returns its SHA-256."""
    digest = hashlib.sha256()
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with open(src, "rb") as source, os.fdopen(fd, "wb") as out:
            fd = -1
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        if fd != -1:
            os.close(fd)
        dst.unlink(missing_ok=True)
        raise
    return digest.hexdigest()


def _link_no_replace(src: Path, dst: Path) -> bool:
    """Give ``src``'s inode the name ``dst``; False when this filesystem cannot (caller copies)."""
    try:
        os.link(src, dst)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno in _NO_LINK:
            return False
        raise
    return True


def _copy_into_place(src: Path, dst: Path, sha256: str, move_id: int, replace: bool) -> None:
    part = part_path(dst, move_id)
    part.unlink(missing_ok=True)  # a leftover from an interrupted attempt of this same move
    try:
        copy_durable(src, part)
        if sha256_of(part) != sha256:  # read back what the disk holds, not what we meant to write
            raise MoveError(errno.EIO, f"copy of {src.name} does not match its SHA-256")
        if replace:
            os.replace(part, dst)
        elif not _link_no_replace(part, dst):
            if dst.exists():
                raise FileExistsError(errno.EEXIST, "destination exists", str(dst))
            os.rename(part, dst)
    finally:
        part.unlink(missing_ok=True)


def place(src: Path, dst: Path, sha256: str, move_id: int, *, replace: bool = False) -> None:
    """Make ``dst`` hold ``src``'s bytes (which hash to ``sha256``), durably; ``src`` stays.

    ``replace`` is only for swapping a verified rewritten copy over the file it replaces;
    otherwise an existing ``dst`` raises FileExistsError and nothing changes.
    """
    if replace:
        _copy_into_place(src, dst, sha256, move_id, replace=True)
    else:
        try:
            linked = _link_no_replace(src, dst)
        except FileExistsError:
            raise
        if not linked:
            _copy_into_place(src, dst, sha256, move_id, replace=False)
    fsync_dir(dst.parent)


def remove(path: Path) -> None:
    """Unlink ``path`` (gone already is fine) and make that durable."""
    try:
        path.unlink()
    except FileNotFoundError:
        return
    fsync_dir(path.parent)


def prune_empty_dirs(start: Path, root: Path) -> None:
    """Remove ``start`` and its parents while empty, never ``root`` or anything outside it."""
    root = root.resolve()
    current = start.resolve()
    while current != root and root in current.parents:
        try:
            current.rmdir()
        except OSError:  # not empty (or already gone and the parent is not): stop
            return
        current = current.parent
