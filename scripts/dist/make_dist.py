"""Build dist/bookshelf-<version>-linux-<arch>: one executable holding Python, bookshelf and every library.

PyInstaller makes a one-folder build (its one-file mode unpacks everything into a new temporary
folder on every start: 3 s for `--version` here, far more on an SD card). That folder is appended
as one zlib stream to a small C launcher (launcher.c) that unpacks it once per build into
~/.cache/bookshelf/<version>-<hash>/ and execs it from there on every start.

Usage: python scripts/dist/make_dist.py [--out DIR] [--work DIR]. Needs PyInstaller (the test extras),
a C compiler and zlib's headers (Debian: gcc, zlib1g-dev), and libarchive13 to bundle for CBR.
"""

from __future__ import annotations

import argparse
import ctypes.util
import hashlib
import os
import platform
import shutil
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MAGIC = b"BKSHSFX1"
TRAILER_SIZE = 64
ID_SIZE = 40
ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "armv7l": "armv7"}

# Modules nothing in bookshelf needs that would otherwise come along: httpx's optional command line
# (rich, pygments, click's pretty output), uvicorn's optional config readers, test tools in the
# virtualenv, Tk, and Pillow's codecs for formats covers never use (AVIF, Tk, fonts).
EXCLUDES = [
    "tkinter",
    "_tkinter",
    "PIL.ImageTk",
    "PIL._imagingtk",
    "PIL._avif",
    "PIL._imagingft",
    "pygments",
    "rich",
    "markdown_it",
    "mdurl",
    "yaml",
    "dotenv",
    "pytest",
    "_pytest",
    "hypothesis",
    "IPython",
]
# Imported by name at run time, so PyInstaller's import scan cannot see them.
HIDDEN_IMPORTS = [
    "uvicorn.loops.uvloop",
    "uvicorn.protocols.http.httptools_impl",
    "uvicorn.protocols.websockets.auto",
    "uvicorn.lifespan.on",
]


def version() -> str:
    sys.path.insert(0, str(ROOT))
    from bookshelf import __version__

    return __version__


def arch() -> str:
    machine = platform.machine().lower()
    return ARCHES.get(machine, machine)


def libarchive_path() -> Path:
    """The system libarchive, bundled so CBR works where only the executable is present."""
    name = ctypes.util.find_library("archive")
    candidates = [Path(p) / "libarchive.so.13" for p in ("/usr/lib", "/lib", "/usr/local/lib")]
    candidates += list(Path("/usr/lib").glob("*-linux-gnu*/libarchive.so.13"))
    for path in candidates:
        if path.exists():
            return path.resolve()
    raise SystemExit(f"libarchive13 is not installed (found {name!r}); Debian: apt-get install libarchive13")


def pyinstaller(work: Path) -> Path:
    """The one-folder build; returns the folder holding the `bookshelf` program."""
    package = ROOT / "bookshelf"
    data = [
        (package / "web" / "ui" / "static", "bookshelf/web/ui/static"),
        (package / "web" / "ui" / "templates", "bookshelf/web/ui/templates"),
        (package / "db" / "migrations", "bookshelf/db/migrations"),
    ]
    command = [
        sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
        "--onedir", "--name", "bookshelf", "--strip",
        "--distpath", str(work / "dist"), "--workpath", str(work / "build"), "--specpath", str(work),
        "--paths", str(ROOT),
        "--collect-submodules", "bookshelf",
        "--add-binary", f"{libarchive_path()}:.",
        "--runtime-hook", str(HERE / "rthook_libarchive.py"),
    ]  # fmt: skip
    for source, dest in data:
        command += ["--add-data", f"{source}:{dest}"]
    for name in HIDDEN_IMPORTS:
        command += ["--hidden-import", name]
    for name in EXCLUDES:
        command += ["--exclude-module", name]
    command.append(str(HERE / "entry.py"))
    subprocess.run(command, check=True, cwd=work)
    return work / "dist" / "bookshelf"


def compile_launcher(work: Path) -> Path:
    out = work / "launcher"
    cc = os.environ.get("CC", "cc")
    # zlib linked in statically: the executable needs only the C library of the machine it runs on.
    command = [cc, "-O2", "-Wall", "-Wextra", "-o", str(out), str(HERE / "launcher.c"),
               "-Wl,-Bstatic", "-lz", "-Wl,-Bdynamic", "-s"]  # fmt: skip
    subprocess.run(command, check=True)
    return out


def entries(folder: Path) -> Iterator[bytes]:
    """The payload entries of every file, folder and link under ``folder``, parents first."""
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix().encode()
        st = path.lstat()
        if path.is_symlink():
            kind, body = b"l", os.readlink(path).encode()
        elif path.is_dir():
            kind, body = b"d", b""
        else:
            kind, body = b"f", path.read_bytes()
        yield kind + struct.pack("<IH", st.st_mode & 0o7777, len(rel)) + rel + struct.pack("<Q", len(body)) + body
    yield b"e"


def assemble(launcher: Path, folder: Path, out: Path, ver: str) -> None:
    packer = zlib.compressobj(9)
    payload = b"".join(packer.compress(entry) for entry in entries(folder)) + packer.flush()
    build_id = f"{ver}-{hashlib.sha256(payload).hexdigest()[:16]}".encode()
    assert len(build_id) < ID_SIZE
    head = launcher.read_bytes()
    trailer = MAGIC + struct.pack("<QQ", len(head), len(payload)) + build_id.ljust(ID_SIZE, b"\0")
    assert len(trailer) == TRAILER_SIZE
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(head + payload + trailer)
    tmp.chmod(0o755)
    tmp.replace(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="folder for the executable")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "dist", help="scratch folder")
    args = parser.parse_args(argv)
    started = time.monotonic()
    ver = version()
    work = args.work.absolute()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    folder = pyinstaller(work)
    launcher = compile_launcher(work)
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out.absolute() / f"bookshelf-{ver}-linux-{arch()}"
    assemble(launcher, folder, out, ver)
    size = out.stat().st_size / 1e6
    print(f"{out} ({size:.1f} MB) built in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
