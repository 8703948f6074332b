"""Read-only RAR (4 and 5) access through libarchive, with the same limits as our zip reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bookshelf.formats.parsed import FormatError
from bookshelf.formats.safezip import COMIC_LIMITS, MiB, ZipLimits, is_safe_name


def _libarchive() -> Any:
    try:
        import libarchive
    except (ImportError, OSError, AttributeError) as exc:
        # libarchive-c loads the system libarchive (Debian: libarchive13) when imported.
        raise FormatError("CBR support needs the libarchive system library, which is not "
                          "installed on this server.", "unsupported_format") from exc
    return libarchive


def _fail(exc: Exception) -> FormatError:
    text = str(exc)
    if "ncrypt" in text or "passphrase" in text.lower() or "password" in text.lower():
        return FormatError("The RAR archive is password-protected.", "encrypted")
    return FormatError(f"The RAR archive is damaged or truncated ({text}).", "truncated")


def _is_file(entry: Any) -> bool:
    # Windows-made archives carry DOS attributes, so "not a dir or link" beats "is a file".
    return not entry.isdir and not entry.issym and not entry.islnk


def _entries(archive: Any, limits: ZipLimits) -> Any:
    count = 0
    for entry in archive:
        count += 1
        if count > limits.max_entries:
            raise FormatError(f"The RAR archive has more than {limits.max_entries} entries.",
                              "zip_bomb")
        yield entry


def list_rar(path: Path, limits: ZipLimits = COMIC_LIMITS) -> dict[str, int]:
    """Safe file names -> declared sizes, after checking the archive-wide limits."""
    lib = _libarchive()
    sizes: dict[str, int] = {}
    total = 0
    try:
        with lib.file_reader(str(path)) as archive:
            for entry in _entries(archive, limits):
                size = entry.size or 0
                total += size
                if total > limits.max_total:
                    raise FormatError(f"The RAR archive would unpack to more than "
                                      f"{limits.max_total // MiB} MiB.", "zip_bomb")
                if _is_file(entry) and is_safe_name(entry.pathname or ""):
                    sizes[entry.pathname] = size
    except lib.ArchiveError as exc:
        raise _fail(exc) from exc
    return sizes


def read_rar(path: Path, wanted: set[str], cap: int = 64 * MiB) -> dict[str, bytes]:
    """The named entries, read in one pass; each stops past ``cap`` bytes whatever it declared."""
    lib = _libarchive()
    found: dict[str, bytes] = {}
    try:
        with lib.file_reader(str(path)) as archive:
            for entry in _entries(archive, COMIC_LIMITS):
                if entry.pathname not in wanted or not _is_file(entry):
                    continue
                chunks, size = [], 0
                for block in entry.get_blocks():
                    size += len(block)
                    if size > cap:
                        raise FormatError(f"The RAR entry {entry.pathname!r} is larger than "
                                          f"{cap // MiB} MiB.", "too_large")
                    chunks.append(bytes(block))
                found[entry.pathname] = b"".join(chunks)
                if len(found) == len(wanted):
                    break
    except lib.ArchiveError as exc:
        raise _fail(exc) from exc
    return found
