"""Document ids: KOReader's partial MD5, its filename mode, and a streamed SHA-256."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import BinaryIO

# KOReader util.partialMD5 samples 1024 bytes at 1024 << (2*i) for i in -1..10; LuaJIT masks
# the shift of i=-1 to 30 and wraps to 0, so the first sample is at offset 0 (KOSYNC.md 5.1).
SAMPLE_OFFSETS = (0,) + tuple(1024 << (2 * i) for i in range(11))
SAMPLE_SIZE = 1024
_CHUNK = 1024 * 1024


def _partial_md5_of(fh: BinaryIO, size: int) -> str:
    md5 = hashlib.md5()
    for offset in SAMPLE_OFFSETS:
        if offset >= size:
            break
        fh.seek(offset)
        md5.update(fh.read(SAMPLE_SIZE))
    return md5.hexdigest()


def koreader_partial_md5(path: Path | str) -> str:
    """The id KOReader's binary checksum mode gives this file."""
    with open(path, "rb") as fh:
        return _partial_md5_of(fh, os.fstat(fh.fileno()).st_size)


def filename_md5(name: str) -> str:
    """KOReader's filename checksum mode: md5 of the UTF-8 basename, extension included."""
    return hashlib.md5(os.path.basename(name).encode("utf-8")).hexdigest()


def sha256_file(path: Path | str) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


def file_hashes(path: Path | str) -> tuple[str, str]:
    """(koreader partial md5, sha256) in one pass: samples are cut from the streamed chunks."""
    sha = hashlib.sha256()
    md5 = hashlib.md5()
    pending = list(SAMPLE_OFFSETS)
    pos = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            sha.update(chunk)
            end = pos + len(chunk)
            # Samples are 1024 bytes and chunks are 1 MiB-aligned, so a sample never straddles two.
            while pending and pending[0] < end:
                start = pending.pop(0) - pos
                md5.update(chunk[start : start + SAMPLE_SIZE])
            pos = end
    return md5.hexdigest(), sha.hexdigest()
