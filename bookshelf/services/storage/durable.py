"""Durable file operations: the one owner of "files are sacred".

Blocking functions, run in a worker thread. A file is never overwritten or removed until its
new copy is complete, fsynced and proven by SHA-256; every step that changes a folder is
followed by an fsync of that folder. Three kinds of part file, each named here:

- ``copy_part``: a verified copy (upload, inbox, duplicates, trash) before its rename;
- ``move_part``: a journaled move (organize, restore) across filesystems, named by the move id
  the journal recorded, so recovery finds and removes it;
- ``import_part``: an import's staged copy, named by its file row, finished or removed on the
  next run depending on whether the row committed.

Covers and other regenerable files are only written aside and renamed (:func:`put_aside`).
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

from bookshelf.services.names import disk

log = logging.getLogger("bookshelf.import")
CHUNK = 1024 * 1024
IMPORT_PART_SUFFIX = ".import-part"
# Errors that mean "no hard link here": another filesystem, or one without links (exFAT, some SMB).
_NO_LINK = {errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS}


class UnsafeFileError(OSError):
    """A copy does not match its source, or its place is taken: the source is kept."""


# -- primitives ----------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (a directory entry is data too)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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


def copy_new(src: Path, dst: Path) -> str:
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


def put_aside(path: Path, content: bytes) -> None:
    """Write ``content`` as ``path`` through a uniquely named part file and a rename: two writers of
    the same file never leave half of one. No fsync: for what can be made again (covers, caches)."""
    part = path.with_name(f"{path.name}.{uuid.uuid4().hex}.part")
    part.write_bytes(content)
    os.replace(part, path)


# -- verified copy and move (no journal: the caller's row is written after) ----------------


def copy_part(dst: Path) -> Path:
    # A short hidden name: ``dst`` may already be at the 255-byte limit.
    short = hashlib.sha1(os.fsencode(dst.name), usedforsecurity=False).hexdigest()[:16]
    return dst.with_name(f".{short}.bookshelf-part")


def copy_verified(src: Path, dst: Path, sha256: str) -> None:
    """Copy ``src`` to ``dst`` durably and prove the bytes match ``sha256``; ``src`` is untouched."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    part = copy_part(dst)
    try:
        with open(src, "rb") as reader, open(part, "wb") as writer:
            shutil.copyfileobj(reader, writer, CHUNK)
            writer.flush()
            os.fsync(writer.fileno())
        if sha256_of(part) != sha256:
            raise UnsafeFileError(errno.EIO, f"copy of {src.name} does not match its SHA-256")
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


# -- journaled move steps (organize, restore, recovery) -----------------------------------


def move_part(dst: Path, move_id: int) -> Path:
    """The hidden name a cross-filesystem copy is written under before it takes its real name."""
    return dst.parent / f".bookshelf-move-{move_id}.part"


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
    part = move_part(dst, move_id)
    part.unlink(missing_ok=True)  # a leftover from an interrupted attempt of this same move
    try:
        copy_new(src, part)
        if sha256_of(part) != sha256:  # read back what the disk holds, not what we meant to write
            raise UnsafeFileError(errno.EIO, f"copy of {src.name} does not match its SHA-256")
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

    Same filesystem: a hard link (rename semantics that refuse to replace an existing name).
    Across filesystems, or where links are not supported: a verified part file put in place.
    ``replace`` is only for swapping a verified rewritten copy over the file it replaces;
    otherwise an existing ``dst`` raises FileExistsError and nothing changes.
    """
    if replace:
        _copy_into_place(src, dst, sha256, move_id, replace=True)
    elif not _link_no_replace(src, dst):
        _copy_into_place(src, dst, sha256, move_id, replace=False)
    fsync_dir(dst.parent)


# -- import staging, in two steps around the database commit ------------------------------


def import_part(folder: Path, file_id: str) -> Path:
    return folder / f"{file_id}{IMPORT_PART_SUFFIX}"


def stage(source: Path, folder: Path, file_id: str, sha256: str) -> Path:
    """A verified, fsynced copy of ``source`` in ``folder``, not yet visible under its name.

    ``shutil.copyfile`` copies bytes only, never timestamps or permissions back or forth, and
    opens the source read-only: nothing here writes to the source."""
    folder.mkdir(parents=True, exist_ok=True)
    part = import_part(folder, file_id)
    try:
        shutil.copyfile(source, part)
        with open(part, "rb+") as fh:
            os.fsync(fh.fileno())
        if sha256_of(part) != sha256:
            raise UnsafeFileError(f"the copy of {source.name} does not match the original's SHA-256")
    except BaseException:
        part.unlink(missing_ok=True)
        _remove_if_empty(folder)
        raise
    return part


def stage_written(source: Path, folder: Path, file_id: str, write: Callable[[Path, Path], str]) -> tuple[Path, str]:
    """As :func:`stage`, but the part is made by ``write(source, part)``: a new, fsynced file it has
    verified, whose SHA-256 it returns (an EPUB with metadata embedded). (part, sha256)"""
    folder.mkdir(parents=True, exist_ok=True)
    part = import_part(folder, file_id)
    try:
        part.unlink(missing_ok=True)
        sha256 = write(source, part)
    except BaseException:
        part.unlink(missing_ok=True)
        _remove_if_empty(folder)
        raise
    return part, sha256


def place_staged(part: Path, target: Path) -> None:
    """Rename a staged part to its final name (never over an existing file)."""
    if target.exists():
        raise UnsafeFileError(f"{target} already exists")
    os.rename(part, target)
    fsync_dir(target.parent)


def discard_staged(part: Path) -> None:
    part.unlink(missing_ok=True)
    _remove_if_empty(part.parent)


def release_source(source: Path, sha256: str) -> None:
    """--move: the copy is in place and committed; the original goes only if it is still the same bytes."""
    if sha256_of(source) == sha256:
        source.unlink()


def settle_leftovers(incoming: Path, target_of: Callable[[str], tuple[Path, str] | None]) -> tuple[int, int]:
    """Finish or remove the part files an interrupted import left. ``target_of(file_id)`` gives the
    committed row's (final path, sha256), or None when the row never committed. (finished, removed)"""
    finished = removed = 0
    if not incoming.is_dir():
        return 0, 0
    for part in sorted(incoming.glob(f"*/*{IMPORT_PART_SUFFIX}")):
        file_id = part.name[: -len(IMPORT_PART_SUFFIX)]
        target = target_of(file_id)
        if target is not None and not target[0].exists() and sha256_of(part) == target[1]:
            place_staged(part, target[0])
            finished += 1
            continue
        discard_staged(part)
        removed += 1
    if finished or removed:
        log.info("import leftovers: %d copy(ies) put in place, %d partial copy(ies) removed", finished, removed)
    return finished, removed


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass
