"""`pip install .` into a fresh virtualenv gives a working `bookshelf` command."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.strict import REPO_ROOT


def test_pip_install_into_fresh_venv(tmp_path: Path) -> None:
    source = tmp_path / "src"
    # Copy the tracked project (not .venv) so the build sees what a user's clone has.
    shutil.copytree(REPO_ROOT, source, ignore=shutil.ignore_patterns(".venv", ".git", "data", "*.egg-info",
                                                                        "__pycache__", "build", "dist"))  # fmt: skip
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    install = subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", str(source)],
                             capture_output=True, text=True, timeout=600)  # fmt: skip
    assert install.returncode == 0, install.stderr[-2000:]
    version = subprocess.run([str(venv / "bin" / "bookshelf"), "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("bookshelf ")
    # Package data (migrations, static assets) made it into the install.
    check = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "from bookshelf.db.migrate import available; from bookshelf.web.app import STATIC_DIR; "
         "assert available(); assert (STATIC_DIR / 'apidocs.js').exists()"],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert check.returncode == 0, check.stderr
