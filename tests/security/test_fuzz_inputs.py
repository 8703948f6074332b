"""Property tests at two doors: mutated RAR comics (FormatError only, each within a time bound) and
random multipart bodies and boundaries sent to the real upload endpoint (400, never 500)."""

from __future__ import annotations

import functools
import tempfile
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

import httpx
import pytest
from anyio.from_thread import start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookshelf.formats import FormatError, comic_pages, read_book, read_page
from bookshelf.runtime import Runtime
from bookshelf.web.app import create_app
from tests.builders import comic_entries
from tests.conftest import make_settings
from tests.formats.test_fuzz import mutate, mutation
from tests.rarbuild import rar4, rar5

EXAMPLE_SECONDS = 10.0
SEEDS = {4: rar4(comic_entries(3, {"Title": "Seed", "Series": "Fuzz"})),
         5: rar5(comic_entries(3, {"Title": "Seed", "Series": "Fuzz"}))}  # fmt: skip


def read_everything(path: Path) -> None:
    try:
        book = read_book(path)
    except FormatError as exc:
        assert exc.message and exc.reason
        return
    assert book.format == "cbr"
    for n in range(len(comic_pages(path, "cbr"))):
        try:
            read_page(path, "cbr", n)
        except FormatError:
            pass


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(version=st.sampled_from([4, 5]), ops=st.lists(mutation, min_size=1, max_size=6))
def test_mutated_rar_comics_only_raise_format_error_and_never_hang(version: int, ops: list) -> None:
    with tempfile.TemporaryDirectory() as folder, ThreadPoolExecutor(1) as pool:
        path = Path(folder) / "mutant.cbr"
        path.write_bytes(mutate(SEEDS[version], ops))
        try:  # a hang inside the archive library cannot be interrupted, but it must not pass silently
            pool.submit(read_everything, path).result(timeout=EXAMPLE_SECONDS)
        except FutureTimeout:
            pytest.fail(f"reading a mutated RAR{version} took over {EXAMPLE_SECONDS}s")


def test_the_rar_seeds_are_real_comics(tmp_path: Path) -> None:
    for version, data in SEEDS.items():
        path = tmp_path / f"seed{version}.cbr"
        path.write_bytes(data)
        assert read_book(path).title == "Seed" and len(comic_pages(path, "cbr")) == 3


boundaries = st.one_of(st.binary(min_size=0, max_size=80), st.sampled_from([b"x", b'"quoted"', b"a;b=c", b"-" * 70]))
part = st.tuples(st.binary(max_size=120), st.binary(max_size=300))  # (headers, body)


def multipart(boundary: bytes, parts: list[tuple[bytes, bytes]], tail: bytes, cut: float) -> bytes:
    body = b"".join(b"--" + boundary + b"\r\n" + headers + b"\r\n\r\n" + data + b"\r\n" for headers, data in parts)
    body += b"--" + boundary + b"--" + tail
    return body[: int(len(body) * cut)] if cut < 1 else body


def test_random_multipart_bodies_are_400_never_500(tmp_path: Path) -> None:
    config = make_settings(tmp_path)
    with start_blocking_portal() as portal:
        rt = portal.call(functools.partial(Runtime.open, config, background=False))
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(config, rt)), base_url="http://t")
        _, key = portal.call(rt.keys.create, "fuzz")
        statuses: list[int] = []

        @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(boundary=boundaries, parts=st.lists(part, max_size=4), tail=st.binary(max_size=20),
               cut=st.floats(0.0, 1.0), raw=st.one_of(st.none(), st.binary(max_size=400)),
               named=st.booleans())  # fmt: skip
        def post(boundary: bytes, parts: list, tail: bytes, cut: float, raw: bytes | None, named: bool) -> None:
            if named:  # a real-looking file part, so the parser reaches its streaming path
                parts = [(b'Content-Disposition: form-data; name="file"; filename="x.epub"', b"PK\x03\x04junk"),
                         *parts]  # fmt: skip
            body = raw if raw is not None else multipart(boundary, parts, tail, cut)
            headers = {"Content-Type": b"multipart/form-data; boundary=" + boundary, "Authorization": f"Bearer {key}"}
            response = portal.call(functools.partial(client.post, "/api/inbox/upload", content=body, headers=headers))
            statuses.append(response.status_code)
            assert response.status_code in (200, 201, 400, 413), (response.status_code, response.text[:300])
            if response.status_code >= 400:
                assert response.json()["error"]["code"] in ("invalid_input", "payload_too_large")

        try:
            post()
        finally:
            portal.call(client.aclose)
            portal.call(rt.close)
    assert 400 in statuses
    leftovers = [p for p in config.tmp_dir.rglob("*") if p.is_file()]
    assert leftovers == [], "a refused upload must not leave parts behind in data/tmp"
