"""Property tests: a mutated real book file makes read_book raise FormatError or succeed."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookshelf.formats import FormatError, read_book
from tests.builders import make_cbz, make_epub, make_jpeg, make_mobi, make_pdf

_SEEDS: dict[str, bytes] = {}


def seed(kind: str) -> bytes:
    if kind not in _SEEDS:
        folder = Path(tempfile.mkdtemp(prefix="bookshelf-fuzz-"))
        maker = {"epub": lambda p: make_epub(p, cover=make_jpeg(), isbn="9780306406157"),
                 "pdf": lambda p: make_pdf(p, pages=2),
                 "cbz": lambda p: make_cbz(p, pages=3, comicinfo={"Title": "x"}),
                 "mobi": lambda p: make_mobi(p, cover=make_jpeg())}[kind]
        _SEEDS[kind] = maker(folder / f"seed.{kind}").read_bytes()
    return _SEEDS[kind]


mutation = st.tuples(st.sampled_from(["flip", "cut", "insert", "zero"]),
                     st.floats(0, 1), st.binary(min_size=1, max_size=64))


def mutate(data: bytes, ops: list[tuple[str, float, bytes]]) -> bytes:
    buf = bytearray(data)
    for op, where, blob in ops:
        at = int(where * max(len(buf) - 1, 0))
        if op == "flip" and buf:
            buf[at] ^= blob[0] or 0xFF
        elif op == "cut":
            del buf[at:at + len(blob) * 8]
        elif op == "insert":
            buf[at:at] = blob
        elif op == "zero":
            buf[at:at + len(blob)] = bytes(len(buf[at:at + len(blob)]))
    return bytes(buf)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["epub", "pdf", "cbz", "mobi"]),
       ops=st.lists(mutation, min_size=1, max_size=6))
def test_read_book_only_raises_format_error(kind: str, ops: list[tuple[str, float, bytes]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"mutant.{kind}"
        path.write_bytes(mutate(seed(kind), ops))
        try:
            book = read_book(path)
        except FormatError as exc:
            assert exc.message and exc.reason
        else:
            assert book.format in ("epub", "pdf", "cbz", "mobi", "azw3", "cbr")
