"""KOReader partial MD5, filename ids and SHA-256, checked against KOReader's own vectors."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from bookshelf.formats import file_hashes, filename_md5, koreader_partial_md5, sha256_file


def reference_partial_md5(path: Path) -> str:
    """Straight transcription of KOReader util.partialMD5 (LuaJIT: 1024 << -2 wraps to 0)."""
    md5 = hashlib.md5()
    with open(path, "rb") as fh:
        for i in range(-1, 11):
            offset = 0 if i == -1 else 1024 << (2 * i)
            fh.seek(offset)
            chunk = fh.read(1024)
            if not chunk:
                break
            md5.update(chunk)
    return md5.hexdigest()


def test_koreader_vectors(koreader_data: Path) -> None:
    assert koreader_partial_md5(koreader_data / "tall.pdf") == "41cce710f34e5ec21315e19c99821415"
    assert koreader_partial_md5(koreader_data / "leaves.epub") == (
        "59d481d168cca6267322f150c5f6a2a3")
    md5, sha = file_hashes(koreader_data / "tall.pdf")
    assert md5 == "41cce710f34e5ec21315e19c99821415"
    assert sha == hashlib.sha256((koreader_data / "tall.pdf").read_bytes()).hexdigest()


OFFSETS = [0, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304]
SIZES = sorted({0, 1, 100, 1023, 1024, 1025, 2047, 2048, 2049}
               | {o + d for o in OFFSETS[1:] for d in (-1, 0, 1, 512, 1024, 1025)})


@pytest.mark.parametrize("size", SIZES)
def test_matches_reference_at_every_boundary(tmp_path: Path, size: int) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(os.urandom(size))
    expected = reference_partial_md5(path)
    assert koreader_partial_md5(path) == expected
    assert file_hashes(path) == (expected, hashlib.sha256(path.read_bytes()).hexdigest())


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "e").write_bytes(b"")
    assert koreader_partial_md5(tmp_path / "e") == "d41d8cd98f00b204e9800998ecf8427e"


def test_sparse_file_over_a_gibibyte(tmp_path: Path) -> None:
    path = tmp_path / "sparse.bin"
    with open(path, "wb") as fh:
        fh.truncate(1024**3 + 5000)  # sparse: the last sample at 1 GiB lies inside the file
        fh.seek(1024**3 + 10)
        fh.write(b"marker")
    expected = reference_partial_md5(path)
    assert koreader_partial_md5(path) == expected
    assert expected != reference_partial_md5_without_last(path)


def reference_partial_md5_without_last(path: Path) -> str:
    md5 = hashlib.md5()
    with open(path, "rb") as fh:
        for offset in [0] + [1024 << (2 * i) for i in range(10)]:
            fh.seek(offset)
            md5.update(fh.read(1024))
    return md5.hexdigest()


def test_sha256_streams(tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    (tmp_path / "f").write_bytes(data)
    assert sha256_file(tmp_path / "f") == hashlib.sha256(data).hexdigest()


def test_filename_md5() -> None:
    assert filename_md5("/books/my_book.epub") == hashlib.md5(b"my_book.epub").hexdigest()
    assert filename_md5("Война.epub") == hashlib.md5("Война.epub".encode()).hexdigest()
