"""A lean HTTP/1.1 keep-alive client for benchmarks: prepared requests, timed answers.

A full client (httpx) costs about as much CPU per request as the server's fastest
answers; on a 2-core machine that client time shows up in the server's latency.
Raw sockets keep the measuring side to a few tens of microseconds per request.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import quote


class Client:
    """One keep-alive connection sending prepared requests and timing each answer."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> Client:
        return cls(*await asyncio.open_connection(host, port))

    async def send(self, request: bytes) -> tuple[int, bytes, float]:
        """(status, body, seconds from the first byte sent to the last byte read)."""
        started = time.perf_counter()
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, chunked = 0, False
        for line in head.split(b"\r\n"):
            name = line[:18].lower()
            if name.startswith(b"content-length:"):
                length = int(line[15:])
            elif name == b"transfer-encoding:" and b"chunked" in line.lower():
                chunked = True
        body = await self._chunks() if chunked else await self.reader.readexactly(length)
        return status, body, time.perf_counter() - started

    async def _chunks(self) -> bytes:
        parts = []
        while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)
        await self.reader.readuntil(b"\r\n")  # no trailers are sent: the empty line after the last chunk
        return b"".join(parts)

    def close(self) -> None:
        self.writer.close()


def get_request(path: str, headers: dict[str, str] | None = None) -> bytes:
    return request("GET", path, headers)


def request(method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"") -> bytes:
    target = quote(path, safe="/?=&%,:")  # spaces and non-ASCII letters in queries, percent-encoded
    lines = [f"{method} {target} HTTP/1.1", "host: bench", *(f"{k}: {v}" for k, v in (headers or {}).items())]
    if body or method in ("PUT", "POST", "PATCH"):
        lines.append(f"content-length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body
