"""The single executable from `make dist`, copied alone into an empty folder and run with an empty environment.

The build runs once per session (a few minutes on two cores) into the test's own temp folder, so
nothing is reused from an earlier run. Each run of the executable gets `env -i` plus HOME (pointing
at a fresh temp folder, so the executable unpacks itself into a cache the test owns) and the
settings the test chooses: no PATH, no Python, no virtualenv.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.builders import make_cbr, make_cbz, make_epub, make_jpeg, make_pdf
from tests.reading.helpers import koreader_headers
from tests.serve import free_port, read_db
from tests.strict import REPO_ROOT, skip_or_fail

pytestmark = pytest.mark.slow

BUILD_TIMEOUT = 900
OFFLINE = {
    "BOOKSHELF_GOOGLE_BOOKS_URL": "http://127.0.0.1:9/books/v1",
    "BOOKSHELF_HARDCOVER_URL": "http://127.0.0.1:9/v1/graphql",
    "BOOKSHELF_OPENLIBRARY_URL": "http://127.0.0.1:9",
    "BOOKSHELF_OPENLIBRARY_COVERS_URL": "http://127.0.0.1:9",
}


class Only:
    """The executable alone in a folder, and how to run it with nothing else around."""

    def __init__(self, folder: Path, home: Path) -> None:
        self.folder = folder
        self.home = home
        self.exe = next(folder.iterdir())

    def command(self, *args: str, **env: str) -> list[str]:
        return ["/usr/bin/env", "-i", f"HOME={self.home}", *(f"{k}={v}" for k, v in env.items()), str(self.exe), *args]

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(*args, **env), cwd=self.folder, capture_output=True, text=True, timeout=120)

    def cache(self) -> list[Path]:
        return sorted((self.home / ".cache" / "bookshelf").iterdir())


def _build_needs() -> None:
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        skip_or_fail("PyInstaller is not installed (it is in the test extras)")
    if not shutil.which("cc") or not Path("/usr/include/zlib.h").exists():
        skip_or_fail("building the launcher needs a C compiler and zlib headers (Debian: gcc zlib1g-dev)")
    if not any(Path("/usr/lib").glob("*/libarchive.so.13")) and not Path("/usr/lib/libarchive.so.13").exists():
        skip_or_fail("libarchive13 is not installed: it is bundled for CBR")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _build_needs()
    root = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "dist" / "make_dist.py"), "--out", str(root / "out"),
         "--work", str(root / "work")],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    [exe] = (root / "out").iterdir()
    shutil.rmtree(root / "work")
    return exe


@pytest.fixture
def only(built: Path, tmp_path: Path) -> Only:
    folder, home = tmp_path / "only", tmp_path / "home"
    folder.mkdir()
    home.mkdir()
    shutil.copy2(built, folder / built.name)
    return Only(folder, home)


def test_name_size_and_version(built: Path, only: Only) -> None:
    from bookshelf import __version__

    assert built.name.startswith(f"bookshelf-{__version__}-linux-")
    assert built.stat().st_size <= 80 * 1000 * 1000
    first = only.run("--version")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"bookshelf {__version__}"
    [unpacked] = only.cache()
    assert unpacked.name.startswith(f"{__version__}-")
    stamp = unpacked.stat().st_mtime_ns
    again = only.run("--version")
    assert again.returncode == 0 and again.stdout == first.stdout
    assert only.cache() == [unpacked] and unpacked.stat().st_mtime_ns == stamp, "unpacked once, then reused"
    assert [p.name for p in only.folder.iterdir()] == [only.exe.name], "nothing written beside the executable"


def test_a_damaged_download_says_so(only: Only) -> None:
    data = only.exe.read_bytes()
    only.exe.write_bytes(data[: len(data) // 2])
    result = only.run("--version")
    assert result.returncode == 70 and "download it again" in result.stderr


def test_service_unit_starts_this_file(only: Only, tmp_path: Path) -> None:
    shown = only.run("service", "install", "--print", "--port", "9123")
    assert shown.returncode == 0, shown.stderr
    assert f"ExecStart={only.exe} serve" in shown.stdout.splitlines()
    assert f"Environment=BOOKSHELF_DATA_DIR={only.folder / 'data'}" in shown.stdout.splitlines()
    assert "Environment=BOOKSHELF_PORT=9123" in shown.stdout.splitlines()
    units = tmp_path / "units"
    installed = only.run("service", "install", "--user", "--unit-dir", str(units))
    assert installed.returncode == 0, installed.stderr
    assert "systemctl --user enable --now bookshelf.service" in installed.stdout
    assert f"ExecStart={only.exe} serve" in (units / "bookshelf.service").read_text()
    removed = only.run("service", "uninstall", "--user", "--unit-dir", str(units))
    assert removed.returncode == 0 and not (units / "bookshelf.service").exists()


@contextmanager
def serving(only: Only, **env: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    log = only.home / f"serve-{port}.log"
    settings = {**OFFLINE, "BOOKSHELF_HOST": "127.0.0.1", "BOOKSHELF_PORT": str(port), **env}
    with open(log, "wb") as out:
        process = subprocess.Popen(only.command("serve", **settings), cwd=only.folder, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(base + "/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        yield process, base
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for_review(base: str, headers: dict[str, str], count: int) -> list[dict]:
    deadline = time.monotonic() + 60
    while True:
        counts = httpx.get(base + "/api/inbox/count", headers=headers).json()
        if counts["byStatus"]["review"] + counts["byStatus"]["failed"] >= count:
            books = httpx.get(base + "/api/inbox", headers=headers).json()["data"]
            assert counts["byStatus"]["failed"] == 0, books
            return books
        assert time.monotonic() < deadline, counts
        time.sleep(0.1)


def _with_children(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            found.extend(_with_children(int(child)))
    return found


def _maps(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/maps").read_text()
    except OSError:  # the process ended meanwhile
        return ""


def test_serve_ingest_opds_kosync_backup_restore(only: Only, tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    staging.mkdir()
    make_epub(staging / "novel.epub", title="Bundled Novel", authors=["Ann Author"], cover=make_jpeg(300, 450))
    make_pdf(staging / "paper.pdf", title="Bundled Paper")
    make_cbz(staging / "comic.cbz", pages=3, page_size=(300, 450))
    make_cbr(staging / "comic.cbr", pages=3, comicinfo={"Title": "Bundled RAR Comic"})
    creds = {"BOOKSHELF_OPDS_USERNAME": "reader", "BOOKSHELF_OPDS_PASSWORD": "opds-pass",
             "BOOKSHELF_KOSYNC_USERNAME": "koreader", "BOOKSHELF_KOSYNC_PASSWORD": "kosync-pass"}  # fmt: skip
    data = only.folder / "data"
    with serving(only, BOOKSHELF_WATCH_SETTLE_SECONDS="0.3", **creds) as (process, base):
        assert data.is_dir() and (data / "bookshelf.db").exists(), "first start makes ./data"
        key = httpx.post(base + "/api/auth/setup", json={"label": "binary"}).json()["key"]
        headers = {"X-API-Key": key}
        for path in staging.iterdir():
            shutil.copy(path, data / "inbox" / path.name)
        books = _wait_for_review(base, headers, 4)
        assert sorted(f["format"] for b in books for f in b["files"]) == ["cbr", "cbz", "epub", "pdf"]
        for book in books:
            cover = httpx.get(base + f"/api/inbox/{book['id']}/cover", headers=headers)
            assert cover.status_code == 200 and cover.headers["content-type"].startswith("image/"), book
        # CBR went through the libarchive inside the bundle, not the system's (books are read in the
        # server's parse worker, a child process, which stays up for a while after the last book).
        libarchive = {
            line.split()[-1]
            for pid in _with_children(process.pid)
            for line in _maps(pid).splitlines()
            if "libarchive.so" in line
        }
        assert libarchive and all(p.startswith(str(only.home)) for p in libarchive), libarchive

        opds = httpx.get(base + "/opds", auth=("reader", "opds-pass"))
        assert opds.status_code == 200 and "<feed" in opds.text
        assert httpx.get(base + "/opds").status_code == 401
        ko = koreader_headers("koreader", "kosync-pass")
        assert httpx.get(base + "/kosync/users/auth", headers=ko).json() == {"authorized": "OK"}
        body = {"document": "0" * 32, "progress": "7", "percentage": 0.5, "device": "kobo", "device_id": "AB" * 16}
        assert httpx.put(base + "/kosync/syncs/progress", json=body, headers=ko).status_code == 200

        made = only.run("backup", str(tmp_path / "backups"))
        assert made.returncode == 0, made.stderr
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0, "SIGTERM is a clean exit"

    archive = Path(made.stdout.strip())
    restored = tmp_path / "restored"
    result = only.run("restore", str(archive), "--data-dir", str(restored))
    assert result.returncode == 0 and "integrity ok" in result.stdout, result.stderr
    sql = "SELECT title FROM books ORDER BY title"
    assert [r[0] for r in read_db(restored, sql)] == [r[0] for r in read_db(data, sql)]
    assert len(read_db(restored, sql)) == 4
    with serving(only, BOOKSHELF_DATA_DIR=str(restored)) as (_, base):
        assert httpx.get(base + "/api/inbox/count", headers={"X-API-Key": key}).json()["count"] == 4


def test_maintenance_commands(only: Only, tmp_path: Path) -> None:
    make_epub(tmp_path / "one.epub", title="Imported By The Binary")
    data = str(tmp_path / "data")
    imported = only.run("import", str(tmp_path / "one.epub"), "--data-dir", data)
    assert imported.returncode == 0 and "imported 1" in imported.stdout, imported.stdout + imported.stderr
    key = only.run("keys", "create", "--label", "cli", "--data-dir", data)
    assert key.returncode == 0 and len(key.stdout.strip()) > 20, key.stderr
    reindex = only.run("reindex", "--data-dir", data)
    assert reindex.returncode == 0 and reindex.stdout.startswith("reindexed 1 books"), reindex.stderr
    doctor = only.run("doctor", "--data-dir", data)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "Traceback" not in imported.stderr + key.stderr + reindex.stderr + doctor.stderr
    assert os.listdir(only.folder) == [only.exe.name]
