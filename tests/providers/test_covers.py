"""Cover downloads: allowed hosts only, redirects re-checked, size cap, sniffed image types."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from bookshelf.errors import UpstreamError
from bookshelf.providers.covers import allowed_cover_hosts, fetch_cover, is_allowed, sniff_image
from bookshelf.settings import Settings
from tests.fakes.openlibrary import FakeOpenLibrary, tiny_jpeg

pytestmark = pytest.mark.anyio
BASE = "http://covers.test"
ALLOWED = {("http", "covers.test")}


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1, 1)).save(out, format="PNG")
    return out.getvalue()


async def _big(request):  # no Content-Length: the cap must hold while streaming
    async def chunks():
        yield tiny_jpeg()
        for _ in range(7):
            yield b"\0" * (1024 * 1024)
    return StreamingResponse(chunks(), media_type="image/jpeg")


cover_host = Starlette(routes=[
    Route("/ok.jpg", lambda r: Response(tiny_jpeg(), media_type="image/jpeg")),
    Route("/image.png", lambda r: Response(_png(), media_type="application/octet-stream")),
    Route("/big.jpg", _big),
    Route("/page.html", lambda r: Response("<html></html>", media_type="image/jpeg")),
    Route("/same", lambda r: RedirectResponse("/ok.jpg", 302)),
    Route("/hop1", lambda r: RedirectResponse("/same", 302)),
    Route("/hop2", lambda r: RedirectResponse("/hop1", 302)),
    Route("/off", lambda r: RedirectResponse("https://evil.example/x.jpg", 302)),
    Route("/to-http", lambda r: RedirectResponse("http://covers.test:8080/ok.jpg", 302)),
    Route("/missing.jpg", lambda r: Response("nope", status_code=404)),
])


@pytest.fixture
def client(asgi_client):
    return asgi_client(cover_host)


async def test_a_jpeg_and_a_png_are_sniffed(client):
    assert await fetch_cover(client, f"{BASE}/ok.jpg", ALLOWED) == (tiny_jpeg(), "image/jpeg")
    data, kind = await fetch_cover(client, f"{BASE}/image.png", ALLOWED)
    assert kind == "image/png"  # whatever the Content-Type said


async def test_other_hosts_and_schemes_are_refused_before_any_request(client):
    for url in ("https://evil.example/x.jpg", "https://covers.test/ok.jpg",
                "http://covers.test:8080/ok.jpg", "file:///etc/passwd"):
        with pytest.raises(UpstreamError) as caught:
            await fetch_cover(client, url, ALLOWED)
        assert caught.value.reason == "forbidden_host"


async def test_redirects_are_followed_on_host_and_refused_off_host(client):
    assert (await fetch_cover(client, f"{BASE}/same", ALLOWED))[1] == "image/jpeg"
    assert (await fetch_cover(client, f"{BASE}/hop1", ALLOWED))[1] == "image/jpeg"  # 2 hops
    for path, reason in (("/hop2", "too_many_redirects"), ("/off", "forbidden_host"),
                         ("/to-http", "forbidden_host")):
        with pytest.raises(UpstreamError) as caught:
            await fetch_cover(client, f"{BASE}{path}", ALLOWED)
        assert caught.value.reason == reason


async def test_oversized_bodies_non_images_and_404s(client):
    for path, reason in (("/big.jpg", "too_large"), ("/page.html", "not_image"),
                         ("/missing.jpg", "not_found")):
        with pytest.raises(UpstreamError) as caught:
            await fetch_cover(client, f"{BASE}{path}", ALLOWED)
        assert caught.value.reason == reason
    with pytest.raises(UpstreamError, match="too large"):
        await fetch_cover(client, f"{BASE}/ok.jpg", ALLOWED, max_bytes=10)


def test_sniffing():
    assert sniff_image(b"GIF89a....") == "image/gif"
    assert sniff_image(b"RIFF\0\0\0\0WEBPVP8 ") == "image/webp"
    assert sniff_image(b"<svg xmlns=...") is None


def test_allowed_hosts_from_production_settings_are_https_only():
    allowed = allowed_cover_hosts(Settings())
    for host in ("books.google.com", "assets.hardcover.app", "covers.openlibrary.org",
                 "www.googleapis.com", "openlibrary.org"):
        assert ("https", host) in allowed
    assert not any(scheme == "http" for scheme, _ in allowed)
    import httpx

    assert is_allowed(httpx.URL("https://ia800100.us.archive.org/x.jpg"), allowed)
    assert not is_allowed(httpx.URL("https://notarchive.org/x.jpg"), allowed)
    assert not is_allowed(httpx.URL("http://books.google.com/x"), allowed)


def test_a_local_fake_base_url_allows_http_on_that_origin_only():
    settings = Settings(openlibrary_covers_url="http://127.0.0.1:5000")
    allowed = allowed_cover_hosts(settings)
    assert ("http", "127.0.0.1:5000") in allowed
    assert ("http", "127.0.0.1:5001") not in allowed


async def test_open_library_cover_redirect_over_a_real_socket():
    from bookshelf.providers.base import LookupQuery
    from bookshelf.providers.openlibrary import OpenLibrary
    from bookshelf.providers.transport import make_client
    from tests.fakes.server import serve_in_thread

    fake = FakeOpenLibrary.with_examples(redirect_cover_ids=True)
    with serve_in_thread(fake.app) as base:
        async with make_client(timeout=5) as http:
            [dune] = await OpenLibrary(http, base, base).lookup(LookupQuery(isbn="9780441172719"))
            settings = Settings(openlibrary_url=base, openlibrary_covers_url=base)
            data, kind = await fetch_cover(http, dune.cover_url, allowed_cover_hosts(settings))
    assert kind == "image/jpeg" and data == tiny_jpeg()
    assert fake.requests[-1].path == "/storage/11481354.jpg"
