"""Backup, restore and doctor as an operator runs them."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx

from bookshelf import folding
from bookshelf.services.operations import doctor
from bookshelf.services.operations.backup import BackupError, backup, restore
from tests.conftest import make_settings
from tests.serve import running_server


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bookshelf", *args], capture_output=True, text=True, timeout=120)


def test_backup_while_serving_restores_the_same_state(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with running_server(data) as server:
        key = httpx.post(server.base_url + "/api/auth/setup").json()["key"]
        headers = {"X-API-Key": key}
        httpx.patch(server.base_url + "/api/settings", json={"trashDays": 9}, headers=headers)
        httpx.put(server.base_url + "/api/credentials/hardcover", json={"token": "tok-123"}, headers=headers)
        (data / "covers" / "ab").mkdir(parents=True)
        (data / "covers" / "ab" / ("ab" + "0" * 62 + ".jpg")).write_bytes(b"\xff\xd8cover")
        made = cli("backup", str(tmp_path / "backups"), "--data-dir", str(data))
        assert made.returncode == 0, made.stderr
    archive = Path(made.stdout.strip())
    assert archive.exists() and archive.name.startswith("bookshelf-backup-")

    restored = tmp_path / "restored"
    result = cli("restore", str(archive), "--data-dir", str(restored))
    assert result.returncode == 0, result.stderr
    assert "integrity ok" in result.stdout
    # The same key, settings and sealed token work on the restored copy.
    with running_server(restored) as server:
        headers = {"X-API-Key": key}
        assert httpx.get(server.base_url + "/api/settings", headers=headers).json()["trashDays"] == 9
        status = httpx.get(server.base_url + "/api/credentials/hardcover", headers=headers).json()
        assert status["configured"] is True
    assert (restored / "covers" / "ab" / ("ab" + "0" * 62 + ".jpg")).read_bytes() == b"\xff\xd8cover"
    assert (restored / "secret.key").stat().st_mode & 0o777 == 0o600

    # Restoring over an existing database is refused.
    again = cli("restore", str(archive), "--data-dir", str(restored))
    assert again.returncode == 1 and "empty data folder" in again.stderr


def test_restore_refuses_hostile_archives(tmp_path: Path) -> None:
    import io
    import tarfile

    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as archive:
        for name, data in (("manifest.json", b"{}"), ("../../escape.txt", b"x")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    settings = make_settings(tmp_path / "target")
    try:
        restore(settings, evil)
    except BackupError as exc:
        assert "refusing" in str(exc)
    else:
        raise AssertionError("an archive member escaping the data folder must be refused")
    assert not (tmp_path / "escape.txt").exists()


async def test_doctor_finds_and_fixes(runtime, settings) -> None:
    report = doctor.run(settings)
    assert not report.problems, report.render()
    # Knock the search index out of step and plant an untracked file and a missing one.
    conn = sqlite3.connect(settings.db_path)
    folding.register(conn)  # the index triggers fold what they index
    conn.execute(
        "INSERT INTO books (id, status, title, created_at, updated_at) VALUES ('b1', 'organized', 'Dune', 'x', 'x')"
    )
    conn.execute("INSERT INTO books_fts(books_fts, rowid, title, authors, series, description) "
                 "VALUES ('delete', 1, 'Dune', '[]', NULL, NULL)")  # fmt: skip
    conn.execute(
        "INSERT INTO files (id, book_id, format, root, path, filename, size, sha256, koreader_hash, added_at) "
        "VALUES ('f1', 'b1', 'epub', 'library', 'A/B/gone.epub', 'gone.epub', 10, 'x', 'y', 'x')"
    )
    conn.commit()
    conn.close()
    (settings.library_dir / "stray.epub").write_bytes(b"mine")
    report = doctor.run(settings)
    checks = {f.check for f in report.problems}
    assert {"search index", "files"} <= checks, report.render()
    assert any(f.check == "untracked" and "stray.epub" in f.message for f in report.findings)
    fixed = doctor.run(settings, fix=True)
    assert "rebuilt the search index" in fixed.fixed
    after = doctor.run(settings)
    assert {f.check for f in after.problems} == {"files"}  # a missing book file is reported, never invented
    assert (settings.library_dir / "stray.epub").exists()  # listed, never deleted


def test_doctor_cli_exit_codes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with running_server(data):
        pass
    clean = cli("doctor", "--data-dir", str(data))
    assert clean.returncode == 0 and "no problems found" in clean.stdout
    conn = sqlite3.connect(data / "bookshelf.db")
    conn.execute(
        "INSERT INTO jobs (id, queue, task, state, created_at, updated_at) "
        "VALUES ('j1', 'parse', 'parse_book', 'active', '2020-01-01T00:00:00Z', '2020-01-01T00:00:00Z')"
    )
    conn.commit()
    conn.close()
    sick = cli("doctor", "--data-dir", str(data))
    assert sick.returncode == 1 and "active for over an hour" in sick.stdout
    healed = cli("doctor", "--fix", "--data-dir", str(data))
    assert healed.returncode == 0, healed.stdout


def test_backup_of_missing_database_is_an_error(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    settings.tmp_dir.mkdir(parents=True)
    try:
        backup(settings, tmp_path / "b.tar.gz")
    except BackupError as exc:
        assert "no database" in str(exc)
    else:
        raise AssertionError("expected BackupError")


async def test_scheduled_backup_keeps_newest(runtime, settings) -> None:
    from bookshelf.services.operations import backup as backups

    assert await backups.scheduled(runtime.db, runtime.settings, runtime.preferences) is None  # off by default
    await runtime.preferences.patch({"backup": {"enabled": True, "keep": 2}})
    first = await backups.scheduled(runtime.db, runtime.settings, runtime.preferences)
    assert first is not None and first.exists()
    assert await backups.scheduled(runtime.db, runtime.settings, runtime.preferences) is None  # not again within a day
    for name in ("bookshelf-backup-20200101-000000.tar.gz", "bookshelf-backup-20200102-000000.tar.gz"):
        (settings.backups_dir / name).write_bytes(b"old")
    backups.prune(settings.backups_dir, 2)
    assert sorted(p.name for p in settings.backups_dir.iterdir())[-1] == first.name
    assert len(list(settings.backups_dir.iterdir())) == 2
