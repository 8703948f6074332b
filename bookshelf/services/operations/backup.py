"""Backup and restore: one archive holding a consistent database copy and everything beside it."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tarfile
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from bookshelf import __version__, clock
from bookshelf.db import Database, checks, kv
from bookshelf.services.preferences import PreferenceService
from bookshelf.services.storage import durable
from bookshelf.settings import Settings

MANIFEST = "manifest.json"
# What sits beside the database and must travel with it (the secret key opens sealed tokens).
SIDE_FILES = ("secret.key", "session.key")


class BackupError(RuntimeError):
    """A backup or restore could not be done; the message says why."""


def backup(settings: Settings, dest: Path, with_files: bool = False) -> Path:
    """Write an archive to ``dest`` (a file name, or a folder to put a dated archive in)."""
    if not settings.db_path.exists():
        raise BackupError(f"no database at {settings.db_path}")
    if dest.is_dir() or not dest.suffix:
        dest.mkdir(parents=True, exist_ok=True)
        stamp = clock.now().strftime("%Y%m%d-%H%M%S")
        dest = dest / f"bookshelf-backup-{stamp}.tar.gz"
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    with tempfile.TemporaryDirectory(dir=settings.tmp_dir) as tmp:
        db_copy = Path(tmp) / "bookshelf.db"
        checks.snapshot(settings.db_path, db_copy)
        counts = checks.table_counts(db_copy)
        with tarfile.open(partial, "w:gz", compresslevel=3) as archive:
            manifest = {"format": 1, "version": __version__, "createdAt": clock.now_iso(), "withFiles": with_files,
                        "counts": counts}  # fmt: skip
            _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=2).encode())
            archive.add(db_copy, arcname="bookshelf.db")
            for name in SIDE_FILES:
                if (settings.data_dir / name).exists():
                    archive.add(settings.data_dir / name, arcname=name)
            _add_tree(archive, settings.covers_dir, "covers")
            if with_files:
                _add_tree(archive, settings.library_dir, "library")
                _add_tree(archive, settings.incoming_dir, "incoming")
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, dest)
    durable.fsync_dir(dest.parent)  # the rename itself survives a power cut, as every move does
    return dest


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    import io

    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(clock.unix())
    archive.addfile(info, io.BytesIO(data))


def _add_tree(archive: tarfile.TarFile, folder: Path, arcname: str) -> None:
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        # Links are not followed: a planted symlink must not pull outside files into a backup.
        if path.is_file() and not path.is_symlink():
            archive.add(path, arcname=f"{arcname}/{path.relative_to(folder).as_posix()}", recursive=False)


def read_manifest(archive_path: Path) -> dict[str, Any]:
    with tarfile.open(archive_path, "r:*") as archive:
        member = archive.extractfile(MANIFEST)
        if member is None:
            raise BackupError("the archive has no manifest")
        manifest: dict[str, Any] = json.loads(member.read())
        return manifest


def restore(settings: Settings, archive_path: Path) -> dict[str, Any]:
    """Unpack ``archive_path`` into an empty data folder and check the database."""
    if settings.db_path.exists():
        raise BackupError(f"{settings.data_dir} already holds a database; restore needs an empty data folder")
    try:
        manifest = read_manifest(archive_path)
    except (tarfile.TarError, OSError, KeyError, ValueError) as exc:
        raise BackupError(f"{archive_path} is not a bookshelf backup: {exc}") from None
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    targets = {"covers": settings.covers_dir, "library": settings.library_dir, "incoming": settings.incoming_dir}
    with tarfile.open(archive_path, "r:*") as archive:
        for member in archive:
            if member.name == MANIFEST:
                continue
            destination = _destination(member, settings.data_dir, targets)
            destination.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            assert source is not None
            with open(destination, "xb") as out:
                shutil.copyfileobj(source, out)
            if destination.name in SIDE_FILES:
                destination.chmod(0o600)
    result = checks.file_integrity(settings.db_path)
    if result != "ok":
        raise BackupError(f"restored database failed its integrity check: {result}")
    return manifest


def _destination(member: tarfile.TarInfo, data_dir: Path, targets: dict[str, Path]) -> Path:
    name = PurePosixPath(member.name)
    if not member.isfile() or name.is_absolute() or ".." in name.parts or not name.parts:
        raise BackupError(f"refusing archive member {member.name!r}")
    head, rest = name.parts[0], name.parts[1:]
    if not rest:
        if head not in ("bookshelf.db", *SIDE_FILES):
            raise BackupError(f"unexpected archive member {member.name!r}")
        return data_dir / head
    if head not in targets:
        raise BackupError(f"unexpected archive member {member.name!r}")
    return targets[head].joinpath(*rest)


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete the oldest automatic backups beyond ``keep``; returns what was removed."""
    archives = sorted(folder.glob("bookshelf-backup-*.tar.gz"))
    doomed = archives[:-keep] if keep > 0 else archives
    for path in doomed:
        path.unlink()
    return doomed


LAST_BACKUP_KEY = "last_automatic_backup_at"
BACKUP_INTERVAL = 24 * 3600


async def scheduled(db: Database, settings: Settings, preferences: PreferenceService) -> Path | None:
    """The daily automatic backup (setting backup.enabled), keeping the newest backup.keep archives."""
    policy = preferences.get("backup")
    if not policy.get("enabled"):
        return None
    async with db.read() as conn:
        last = await kv.get(conn, LAST_BACKUP_KEY)
    if last and clock.unix() - int(last) < BACKUP_INTERVAL:
        return None
    folder = settings.backups_dir
    path = await asyncio.to_thread(backup, settings, folder)
    await asyncio.to_thread(prune, folder, int(policy.get("keep", 7)))
    async with db.write() as conn:
        await kv.put(conn, LAST_BACKUP_KEY, str(clock.unix()))
    return path
