"""`bookshelf service`: the unit's text, writing and removing it, and systemctl when there is one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bookshelf import service_unit
from bookshelf.service_unit import ServiceError, UnitSpec, install, render, running_command, uninstall
from tests.strict import skip_or_fail


def _words(value: str) -> list[str]:
    """Split a unit file value the way systemd does for what render() writes: quotes, backslashes, %%."""
    words, word, quoted, i, started = [], "", False, 0, False
    while i < len(value):
        ch = value[i]
        if quoted and ch == "\\":
            word, i = word + value[i + 1], i + 2
            continue
        if ch == '"':
            quoted, started = not quoted, True
        elif ch == " " and not quoted:
            if started:
                words.append(word)
            word, started = "", False
        else:
            word, started = word + ch, True
        i += 1
    if started:
        words.append(word)
    return [w.replace("%%", "%") for w in words]


def _values(text: str, key: str) -> list[str]:
    # systemd ends a line at "\n" only (str.splitlines would also split at \x1e, \u2028...).
    return [line.split("=", 1)[1] for line in text.split("\n") if line.startswith(key + "=")]


def test_system_unit() -> None:
    spec = UnitSpec(("/opt/bookshelf/bookshelf-1-linux-arm64",), Path("/srv/books/data"), run_as="pi",
                    environment=(("BOOKSHELF_PORT", "9000"),))  # fmt: skip
    text = render(spec)
    assert _values(text, "ExecStart") == ["/opt/bookshelf/bookshelf-1-linux-arm64 serve"]
    assert _values(text, "User") == ["pi"]
    assert _values(text, "WorkingDirectory") == ["/srv/books"]
    assert _values(text, "Environment") == ["BOOKSHELF_DATA_DIR=/srv/books/data", "BOOKSHELF_PORT=9000"]
    assert _values(text, "WantedBy") == ["multi-user.target"]
    assert _values(text, "ProtectSystem") == ["full"]


def test_user_unit_has_no_user_line_and_starts_with_the_session() -> None:
    text = render(UnitSpec(("/home/me/bookshelf",), Path("/home/me/data"), user_scope=True, run_as="me"))
    assert _values(text, "User") == [] and _values(text, "ProtectSystem") == []
    assert _values(text, "WantedBy") == ["default.target"]


path_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1)


@settings(max_examples=200, deadline=None)
@given(exe=path_text, data=path_text)
def test_any_path_reads_back_unchanged(exe: str, data: str) -> None:
    command, data_dir = ("/" + exe.lstrip("/"),), Path("/" + data.lstrip("/"))
    text = render(UnitSpec(command, data_dir))
    [exec_start] = _values(text, "ExecStart")
    assert _words(exec_start) == [command[0], "serve"]
    assert _words(_values(text, "Environment")[0]) == [f"BOOKSHELF_DATA_DIR={data_dir}"]
    assert text.count("\n") == render(UnitSpec(("/x",), Path("/y"))).count("\n")


@given(control=st.characters(whitelist_categories=("Cc",)))
def test_a_control_character_in_a_path_is_refused(control: str) -> None:
    with pytest.raises(ServiceError, match="control character"):
        render(UnitSpec(("/opt/bookshelf",), Path(f"/srv/a{control}ExecStartPre=/bin/evil")))


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    if not shutil.which("systemd-analyze"):
        skip_or_fail("systemd-analyze is not installed (Debian: systemd)")
    exe = tmp_path / "odd dir %n" / "book shelf"
    exe.parent.mkdir()
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    unit = tmp_path / "bookshelf.service"
    unit.write_text(render(UnitSpec((str(exe),), tmp_path / 'da"ta \\x', run_as="root")))
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def _recording_systemctl(tmp_path: Path, fail: bool = False) -> tuple[str, Path]:
    """A stand-in for the systemctl program: records its arguments, optionally fails like it does."""
    log = tmp_path / "systemctl.log"
    script = tmp_path / "systemctl"
    exit_line = 'echo "Failed to enable unit: Access denied" >&2; exit 1' if fail else "exit 0"
    script.write_text(f'#!/bin/sh\necho "$@" >> {log}\n{exit_line}\n')
    script.chmod(0o755)
    return str(script), log


def test_install_enables_and_uninstall_disables(tmp_path: Path) -> None:
    systemctl, log = _recording_systemctl(tmp_path)
    units = tmp_path / "units"
    spec = UnitSpec(("/opt/bookshelf",), tmp_path / "data", user_scope=True)
    path = install(spec, units, systemctl)
    assert path == units / "bookshelf.service" and path.read_text() == render(spec)
    assert oct(path.stat().st_mode & 0o777) == "0o644" and os.listdir(units) == ["bookshelf.service"]
    assert uninstall(units, True, systemctl) == path and not path.exists()
    assert log.read_text().splitlines() == [
        "--user daemon-reload",
        "--user enable --now bookshelf.service",
        "--user disable --now bookshelf.service",
        "--user daemon-reload",
    ]
    assert uninstall(units, True, systemctl) is None


def test_systemctl_failure_is_reported(tmp_path: Path) -> None:
    systemctl, _ = _recording_systemctl(tmp_path, fail=True)
    with pytest.raises(ServiceError, match="Access denied"):
        install(UnitSpec(("/opt/bookshelf",), tmp_path / "data"), tmp_path / "units", systemctl)


def test_unwritable_unit_folder_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ServiceError, match="cannot write"):
        install(UnitSpec(("/opt/bookshelf",), tmp_path / "data"), blocker / "units", None)


def test_running_command() -> None:
    assert running_command("/opt/b/bookshelf-1-linux-amd64", "/tmp/_internal/python", frozen=True) == (
        "/opt/b/bookshelf-1-linux-amd64",
    )
    assert running_command("/x/bin/bookshelf", "/x/bin/python", frozen=False) == ("/x/bin/python", "-m", "bookshelf")


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    empty = tmp_path / "empty-path"
    empty.mkdir(exist_ok=True)
    env = {"HOME": str(tmp_path / "home"), "PATH": str(empty)}  # no systemctl on this PATH
    return subprocess.run([sys.executable, "-m", "bookshelf", "service", *args], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=60)  # fmt: skip


def test_cli_without_systemctl_writes_and_says_how_to_enable(tmp_path: Path) -> None:
    result = _cli(tmp_path, "install", "--user", "--library-dir", "/srv/books")
    assert result.returncode == 0, result.stderr
    unit = tmp_path / "home" / ".config" / "systemd" / "user" / service_unit.UNIT_NAME
    assert f"wrote {unit}" in result.stdout
    assert "systemctl was not found, so nothing was enabled" in result.stdout
    assert "systemctl --user enable --now bookshelf.service" in result.stdout
    text = unit.read_text()
    assert _values(text, "ExecStart") == [f"{sys.executable} -m bookshelf serve"]
    assert _values(text, "Environment") == [f"BOOKSHELF_DATA_DIR={tmp_path / 'data'}",
                                            "BOOKSHELF_LIBRARY_DIR=/srv/books"]  # fmt: skip
    removed = _cli(tmp_path, "uninstall", "--user")
    assert removed.returncode == 0 and not unit.exists()
    assert "no service was stopped" in removed.stdout


def test_cli_print_installs_nothing(tmp_path: Path) -> None:
    result = _cli(tmp_path, "install", "--print", "--data-dir", "/srv/bookshelf/data", "--run-as", "books")
    assert result.returncode == 0, result.stderr
    assert _values(result.stdout, "User") == ["books"]
    assert not (tmp_path / "home").exists()
