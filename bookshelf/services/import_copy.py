"""Copying a user's file into our storage for an import, in two steps around the database commit.

``stage`` copies the source (opened read-only; ``shutil.copyfile`` copies bytes
only, never timestamps or permissions back or forth) to a part file named by
the file row's id beside its final place, fsyncs it and proves its SHA-256
(``stage_written`` instead writes a changed copy, e.g. an EPUB with metadata).
The rows are committed next, and ``place`` renames the part into place. A run
killed in between leaves a part file: ``settle_leftovers`` at the next run
finishes it if its row committed, or removes it if not. Nothing here writes to
the source, except ``release_source`` for an explicit --move.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from bookshelf.services import transfer
from bookshelf.services.files import fsync_dir

log = logging.getLogger("bookshelf.import")
PART_SUFFIX = ".import-part"


class CopyError(OSError):
    """The copy could not be made or does not match its source."""


def part_path(folder: Path, file_id: str) -> Path:
    return folder / f"{file_id}{PART_SUFFIX}"


def stage(source: Path, folder: Path, file_id: str, sha256: str) -> Path:
    """A verified, fsynced copy of ``source`` in ``folder``, not yet visible under its name."""
    folder.mkdir(parents=True, exist_ok=True)
    part = part_path(folder, file_id)
    try:
        shutil.copyfile(source, part)
        with open(part, "rb+") as fh:
            os.fsync(fh.fileno())
        if transfer.sha256_of(part) != sha256:
            raise CopyError(f"the copy of {source.name} does not match the original's SHA-256")
    except BaseException:
        part.unlink(missing_ok=True)
        _remove_if_empty(folder)
        raise
    return part


def stage_written(source: Path, folder: Path, file_id: str, write: Callable[[Path, Path], str]) -> tuple[Path, str]:
    """As :func:`stage`, but the part is made by ``write(source, part)``: a new, fsynced file it has
    verified, whose SHA-256 it returns (an EPUB with metadata embedded). (part, sha256)"""
    folder.mkdir(parents=True, exist_ok=True)
    part = part_path(folder, file_id)
    try:
        part.unlink(missing_ok=True)
        sha256 = write(source, part)
    except BaseException:
        part.unlink(missing_ok=True)
        _remove_if_empty(folder)
        raise
    return part, sha256


def place(part: Path, target: Path) -> None:
    """Rename a staged part to its final name (never over an existing file)."""
    if target.exists():
        raise CopyError(f"{target} already exists")
    os.rename(part, target)
    fsync_dir(target.parent)


def discard(part: Path) -> None:
    part.unlink(missing_ok=True)
    _remove_if_empty(part.parent)


def release_source(source: Path, sha256: str) -> None:
    """--move: the copy is in place and committed; the original goes only if it is still the same bytes."""
    if transfer.sha256_of(source) == sha256:
        source.unlink()


def settle_leftovers(incoming: Path, target_of: Callable[[str], tuple[Path, str] | None]) -> tuple[int, int]:
    """Finish or remove the part files an interrupted import left. ``target_of(file_id)`` gives the
    committed row's (final path, sha256), or None when the row never committed. (finished, removed)"""
    finished = removed = 0
    if not incoming.is_dir():
        return 0, 0
    for part in sorted(incoming.glob(f"*/*{PART_SUFFIX}")):
        file_id = part.name[: -len(PART_SUFFIX)]
        target = target_of(file_id)
        if target is not None and not target[0].exists() and transfer.sha256_of(part) == target[1]:
            place(part, target[0])
            finished += 1
            continue
        discard(part)
        removed += 1
    if finished or removed:
        log.info("import leftovers: %d copy(ies) put in place, %d partial copy(ies) removed", finished, removed)
    return finished, removed


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass
