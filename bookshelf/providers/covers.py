"""Fetching a cover from a provider image host safely: allowed hosts only, size-capped, sniffed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import httpx

from bookshelf.errors import UpstreamError
from bookshelf.providers import google_books, hardcover, openlibrary
from bookshelf.providers.base import ProviderSettings
from bookshelf.providers.transport import redact

MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 2
TIMEOUT = 20.0
# Open Library cover-by-ID requests may redirect to Internet Archive storage nodes.
_ARCHIVE_HOSTS = ("archive.org", "*.archive.org")

HostPair = tuple[str, str]  # (scheme, host[:port]); a host may start with "*." for subdomains


def allowed_cover_hosts(settings: ProviderSettings) -> frozenset[HostPair]:
    """The configured provider origins (http only if configured so: a local fake) plus
    each provider's documented HTTPS image hosts."""
    pairs: set[HostPair] = set()
    for base in (settings.google_books_url, settings.hardcover_url, settings.openlibrary_url,
                 settings.openlibrary_covers_url):
        url = httpx.URL(base)
        pairs.add((url.scheme, _netloc(url)))
    for host in (*google_books.IMAGE_HOSTS, *hardcover.IMAGE_HOSTS, *openlibrary.IMAGE_HOSTS,
                 *_ARCHIVE_HOSTS):
        pairs.add(("https", host))
    return frozenset(pairs)


def _netloc(url: httpx.URL) -> str:
    return f"{url.host}:{url.port}" if url.port is not None else url.host


def is_allowed(url: httpx.URL, allowed: Iterable[HostPair]) -> bool:
    netloc = _netloc(url)
    for scheme, host in allowed:
        if scheme != url.scheme:
            continue
        if host == netloc or (host.startswith("*.") and url.port is None
                              and netloc.endswith(host[1:])):
            return True
    return False


def sniff_image(data: bytes) -> str | None:
    """The image type from the first bytes; a server's Content-Type is not trusted."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


async def fetch_cover(client: httpx.AsyncClient, url: str, allowed_hosts: Iterable[HostPair], *,
                      max_bytes: int = MAX_BYTES, timeout: float = TIMEOUT) -> tuple[bytes, str]:
    """The image bytes and their sniffed MIME type.

    Refuses hosts outside ``allowed_hosts`` (redirects included, at most two, each
    re-checked), bodies over ``max_bytes`` and anything that is not JPEG, PNG, GIF or WebP.
    """
    allowed = frozenset(allowed_hosts)
    try:
        async with asyncio.timeout(timeout):
            return await _fetch(client, httpx.URL(url), allowed, max_bytes)
    except TimeoutError:
        raise UpstreamError(f"cover download from {_where(url)} timed out", reason="timeout",
                            transient=True) from None


def _where(url: str | httpx.URL) -> str:
    url = httpx.URL(str(url))
    return redact(f"{url.scheme}://{_netloc(url)}{url.path}")


async def _fetch(client: httpx.AsyncClient, url: httpx.URL, allowed: frozenset[HostPair],
                 max_bytes: int) -> tuple[bytes, str]:
    for _ in range(MAX_REDIRECTS + 1):
        if not is_allowed(url, allowed):
            raise UpstreamError(f"cover host not allowed: {_where(url)}", reason="forbidden_host")
        try:
            async with client.stream("GET", url, follow_redirects=False) as response:
                if response.is_redirect:
                    url = url.join(response.headers.get("location", ""))
                    continue
                _check_status(response, url)
                data = await _read_capped(response, url, max_bytes)
        except httpx.TimeoutException:
            raise UpstreamError(f"cover download from {_where(url)} timed out",
                                reason="timeout", transient=True) from None
        except httpx.TransportError as exc:
            raise UpstreamError(f"cover download from {_where(url)} failed: "
                                f"{type(exc).__name__}", reason="unavailable",
                                transient=True) from None
        kind = sniff_image(data)
        if kind is None:
            raise UpstreamError(f"cover from {_where(url)} is not an image", reason="not_image")
        return data, kind
    raise UpstreamError(f"cover at {_where(url)}: too many redirects", reason="too_many_redirects")


def _check_status(response: httpx.Response, url: httpx.URL) -> None:
    status = response.status_code
    if status == 200:
        return
    if status == 404:
        raise UpstreamError(f"no cover at {_where(url)}", reason="not_found")
    if status == 429 or status == 403:
        raise UpstreamError(f"cover host {_where(url)} refused (HTTP {status})",
                            reason="rate_limited" if status == 429 else "forbidden",
                            transient=status == 429)
    raise UpstreamError(f"cover download from {_where(url)} failed (HTTP {status})",
                        reason="server_error" if status >= 500 else "bad_response",
                        transient=status >= 500)


async def _read_capped(response: httpx.Response, url: httpx.URL, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise UpstreamError(f"cover at {_where(url)} is too large", reason="too_large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:  # Content-Length can lie or be absent
            raise UpstreamError(f"cover at {_where(url)} is too large", reason="too_large")
        chunks.append(chunk)
    return b"".join(chunks)
