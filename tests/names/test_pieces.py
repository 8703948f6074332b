"""Property tests of each part of the file-name rule."""

from __future__ import annotations

import os
import unicodedata
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bookshelf.folding import name_key
from bookshelf.services.names import header
from bookshelf.services.names.disk import from_filesystem, safe_name, source_key
from bookshelf.services.names.translit import ascii_name, transliterate
from bookshelf.web.download import content_disposition
from tests.names.strategies import SCRIPTS, any_name, base_name, spelt

FORMS = ["raw-utf8", "percent", "rfc5987", "rfc2231-continued", "latin-1", "rfc5987-latin-1"]
ASCII_SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 !#$&+,.;=@^_`{}~()[]'-")


def encode_part_header(name: str, form: str) -> bytes:
    """``Content-Disposition`` of a multipart part naming ``name`` the way some client does."""
    head = b'form-data; name="file"; '
    if form == "raw-utf8":  # browsers, curl and httpx
        escaped = name.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
        return head + b'filename="' + escaped.encode() + b'"'
    if form == "percent":
        return head + b'filename="' + quote(name, safe="").encode() + b'"'
    if form == "rfc5987":
        return head + b"filename=\"fallback.epub\"; filename*=UTF-8''" + quote(name, safe="").encode()
    if form == "rfc5987-latin-1":
        return head + b"filename*=iso-8859-1'en'" + quote(name.encode("latin-1"), safe="").encode()
    if form == "rfc2231-continued":
        chars = [quote(c, safe="") for c in name]  # a piece never splits one character's escape
        pieces = ["".join(chars[i : i + 7]) for i in range(0, len(chars), 7)]
        parts = [f"filename*{n}*=UTF-8''{p}" if n == 0 else f"filename*{n}*={p}" for n, p in enumerate(pieces)]
        return head + "; ".join(parts).encode()
    assert form == "latin-1"
    return head + b'filename="' + name.encode("latin-1") + b'"'


def _can(name: str, form: str) -> bool:
    if form in ("latin-1", "rfc5987-latin-1"):
        try:
            data = name.encode("latin-1")
        except UnicodeEncodeError:
            return False
        if form == "latin-1" and any(0x80 <= b <= 0x9F for b in data):
            return False  # C1 controls: a raw byte there is read as Windows-1252, as clients mean it
        if form == "latin-1":  # bytes that happen to be valid UTF-8 are UTF-8 (what browsers send)
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                return '"' not in name and "\\" not in name
            return data.isascii() and "%" not in name and '"' not in name and "\\" not in name
    if form == "raw-utf8":
        return not (name.isascii() and "%" in name)
    if form == "percent":  # "%3A" in an ASCII name may be meant literally: only non-ASCII is decoded
        return not name.isascii()
    return True


names_for_headers = st.one_of(
    any_name, st.text(min_size=1, max_size=40), spelt(st.text(SCRIPTS["latin"] + "abc ", min_size=1))
)


@settings(max_examples=300, deadline=None)
@given(name=names_for_headers, form=st.sampled_from(FORMS))
def test_multipart_file_names_decode_in_every_form(name: str, form: str) -> None:
    assume(_can(name, form))
    _, params = header.parameters(encode_part_header(name, form))
    assert params["name"] == b"file"
    assert header.filename(params) == name


@settings(max_examples=300, deadline=None)
@given(name=st.one_of(any_name, st.text()), book_id=st.uuids().map(str))
def test_ascii_fallback_is_ascii_readable_and_never_empty(name: str, book_id: str) -> None:
    fallback = ascii_name(name + ".epub", book_id)
    assert fallback.isascii() and set(fallback) <= ASCII_SAFE
    assert fallback.endswith(".epub") and fallback.removesuffix(".epub").strip(" .-")
    assert len(fallback.encode()) <= 200
    # Only the last path segment is a file's name (a "/" never reaches a stored name).
    spelling, lost = transliterate(name.replace("\\", "/").rsplit("/", 1)[-1])
    if lost:  # letters without a spelling (ideographs): the book's id tells it apart
        assert book_id[:8] in fallback
    disposition = content_disposition(name + ".epub", fallback)
    assert f'filename="{fallback}"' in disposition and disposition.isascii()


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Οδύσσεια - Homer.epub", "Odysseia - Homer.epub"),
     ("Война и мир - Лев Толстой.epub", "Voina i mir - Lev Tolstoi.epub"),
     ("Tiếng Việt - Nguyễn Du.epub", "Tieng Viet - Nguyen Du.epub"), ("ألف ليلة وليلة.pdf", "alf lyla wlyla.pdf"),
     ("Ὅμηρος.epub", "Homiros.epub"), ("- .epub", "0b7c8e1e-0000-4000-8000-000000000000.epub"),
     ("三体 - 刘慈欣.epub", "0b7c8e1e-0000-4000-8000-000000000000.epub")],
)  # fmt: skip
def test_ascii_fallback_reads_like_the_name(name: str, expected: str) -> None:
    assert ascii_name(name, "0b7c8e1e-0000-4000-8000-000000000000") == expected


@settings(max_examples=300, deadline=None)
@given(name=any_name, ext=st.sampled_from(["epub", "pdf", "cbz", "EPUB", ""]), limit=st.sampled_from([255, 200, 40]))
def test_names_fit_255_bytes_on_a_character_boundary_with_their_extension(name: str, ext: str, limit: int) -> None:
    raw = f"{name}.{ext}" if ext else name
    safe = safe_name(raw, limit=limit) if limit != 255 else safe_name(raw)
    data = safe.encode("utf-8")  # a cut in the middle of a character would not even encode
    assert 0 < len(data) <= limit
    assert safe == unicodedata.normalize("NFC", safe) and "/" not in safe and not safe.startswith(".")
    if ext:
        assert safe.endswith("." + ext.lower())
    stem = safe.removesuffix("." + ext.lower()) if ext else safe
    assert stem  # never only an extension


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(min_size=1, max_size=60))
def test_names_whose_bytes_are_not_utf8_are_kept_readable(raw: bytes) -> None:
    assume(b"/" not in raw and b"\x00" not in raw)
    on_disk = os.fsdecode(raw + b".epub")  # what os.listdir returns for such a name on a NAS share
    shown = from_filesystem(on_disk)
    shown.encode("utf-8")  # storable and printable, never a crash
    safe = safe_name(on_disk)
    safe.encode("utf-8")
    assert safe.endswith(".epub")
    key = source_key(on_disk)
    key.encode("utf-8")
    assert key


def test_latin1_nas_names_read_as_latin1() -> None:
    assert from_filesystem(os.fsdecode(b"caf\xe9 cr\xe8me.epub")) == "café crème.epub"


@settings(max_examples=200, deadline=None)
@given(name=base_name)
def test_case_and_normalisation_variants_share_one_key(name: str) -> None:
    variants = {
        name,
        name.upper(),
        name.lower(),
        unicodedata.normalize("NFD", name),
        unicodedata.normalize("NFC", name),
    }
    assert len({name_key(safe_name(v + ".epub")) for v in variants}) == 1


@pytest.mark.anyio
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=base_name, variant=st.sampled_from(["upper", "lower", "NFD", "swapcase"]))
async def test_organize_never_gives_two_files_one_name_across_variants(runtime, name: str, variant: str) -> None:  # noqa: ANN001
    """A path a file holds is taken for every case or normalisation variant of it."""
    from bookshelf.db import moves as move_rows

    held = f"{safe_name(name)}/{safe_name(name + '.epub')}"
    other = unicodedata.normalize("NFD", held) if variant == "NFD" else getattr(held, variant)()
    assume(other != held)
    file_id = await _hold(runtime, held)
    async with runtime.db.read() as conn:
        taken = await move_rows.paths_taken(conn, "library", [other])
    assert taken == {other: file_id}
    async with runtime.db.write() as conn:
        await conn.execute("DELETE FROM books WHERE id = (SELECT book_id FROM files WHERE id = ?)", (file_id,))


async def _hold(runtime, path: str) -> str:  # noqa: ANN001
    import uuid

    from bookshelf.db import books as book_rows
    from bookshelf.models import Book, BookFile

    book = Book(id=str(uuid.uuid4()), status="organized", title="x", created_at="2024-01-01T00:00:00Z",
                updated_at="2024-01-01T00:00:00Z")  # fmt: skip
    file = BookFile(id=str(uuid.uuid4()), book_id=book.id, format="epub", root="library", path=path,
                    filename=path.rpartition("/")[2], size=1, sha256=uuid.uuid4().hex, koreader_hash=uuid.uuid4().hex,
                    page_count=None, added_at=book.created_at)  # fmt: skip
    async with runtime.db.write() as conn:
        await book_rows.insert(conn, book)
        await book_rows.insert_file(conn, file)
    return file.id
