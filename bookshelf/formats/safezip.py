"""The one place zip archives are opened: limits against bombs, unsafe names and lies in headers."""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from bookshelf.formats.parsed import FormatError

MiB = 1024 * 1024


@dataclass(frozen=True)
class ZipLimits:
    max_entries: int = 10_000
    max_total: int = 512 * MiB  # sum of declared uncompressed sizes
    max_ratio: int = 200  # per entry, only checked for entries over ratio_floor
    ratio_floor: int = 1 * MiB


EPUB_LIMITS = ZipLimits()
COMIC_LIMITS = ZipLimits(max_total=2048 * MiB)

_DRIVE = re.compile(r"^[A-Za-z]:")


def is_safe_name(name: str) -> bool:
    """True for a relative name that stays inside the archive root when extracted."""
    if not name or "\x00" in name or name.startswith(("/", "\\")) or _DRIVE.match(name):
        return False
    parts = re.split(r"[\\/]", name)
    return ".." not in parts


class SafeZip:
    """A read-only zip whose entries are vetted up front and read with a hard size cap."""

    def __init__(self, path: Path, limits: ZipLimits = EPUB_LIMITS, kind: str = "archive") -> None:
        self.kind = kind
        self.limits = limits
        try:
            self._zf = zipfile.ZipFile(path)
        except zipfile.BadZipFile as exc:
            raise FormatError(f"The {kind} is not a valid zip archive ({exc}).", "not_a_zip") from exc
        except (OSError, EOFError, ValueError) as exc:
            raise FormatError(f"The {kind} zip archive is truncated or unreadable ({exc}).", "truncated") from exc
        try:
            self._infos = self._vet(self._zf.infolist())
        except BaseException:
            self._zf.close()
            raise

    def _vet(self, infos: list[zipfile.ZipInfo]) -> dict[str, zipfile.ZipInfo]:
        lim = self.limits
        if len(infos) > lim.max_entries:
            raise FormatError(
                f"The {self.kind} has {len(infos)} entries; at most {lim.max_entries} are accepted.", "zip_bomb"
            )
        total = sum(i.file_size for i in infos)
        if total > lim.max_total:
            raise FormatError(
                f"The {self.kind} would unpack to {total // MiB} MiB, over the {lim.max_total // MiB} MiB limit.",
                "zip_bomb",
            )
        for i in infos:
            ratio = i.file_size / max(i.compress_size, 1)
            if i.file_size > lim.ratio_floor and ratio > lim.max_ratio:
                raise FormatError(
                    f"The {self.kind} entry {i.filename!r} is compressed more than "
                    f"{lim.max_ratio}:1, which only zip bombs do.",
                    "zip_bomb",
                )
        # Unsafe names are ignored rather than fatal: we never extract, so they are just noise.
        return {i.filename: i for i in infos if is_safe_name(i.filename) and not i.is_dir()}

    @property
    def comment(self) -> bytes:
        """The archive comment (where comic taggers keep ComicBookInfo); at most 64 KiB by the format."""
        return self._zf.comment

    def names(self) -> list[str]:
        return list(self._infos)

    def infos(self) -> list[zipfile.ZipInfo]:
        return list(self._infos.values())

    def has(self, name: str) -> bool:
        return name in self._infos

    def find(self, name: str) -> str | None:
        """The stored name matching ``name`` exactly or, failing that, case-insensitively."""
        if name in self._infos:
            return name
        low = name.lower()
        return next((n for n in self._infos if n.lower() == low), None)

    def read(self, name: str, cap: int = 64 * MiB) -> bytes:
        """Read one entry, trusting no header: stop as soon as more than ``cap`` bytes arrive."""
        info = self._infos.get(name)
        if info is None:
            raise FormatError(f"The {self.kind} has no entry named {name!r}.", "corrupt")
        if info.flag_bits & 0x1:
            raise FormatError(f"The {self.kind} entry {name!r} is password-protected.", "encrypted")
        chunks: list[bytes] = []
        size = 0
        try:
            with self._zf.open(info) as fh:
                while chunk := fh.read(256 * 1024):
                    size += len(chunk)
                    if size > cap:
                        raise FormatError(
                            f"The {self.kind} entry {name!r} is larger than {cap // MiB} MiB.", "too_large"
                        )
                    chunks.append(chunk)
        except FormatError:
            raise
        except (
            zipfile.BadZipFile,
            zlib.error,
            EOFError,
            OSError,
            ValueError,
            NotImplementedError,
            RuntimeError,
        ) as exc:
            raise FormatError(f"The {self.kind} entry {name!r} is damaged ({exc}).", "truncated") from exc
        return b"".join(chunks)

    def close(self) -> None:
        self._zf.close()

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
