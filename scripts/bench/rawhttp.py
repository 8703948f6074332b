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
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        body = await self.reader.readexactly(length)
        return status, body, time.perf_counter() - started

    def close(self) -> None:
        self.writer.close()


def get_request(path: str, headers: dict[str, str] | None = None) -> bytes:
    target = quote(path, safe="/?=&%,:")  # spaces and non-ASCII letters in queries, percent-encoded
    lines = [f"GET {target} HTTP/1.1", "host: bench", *(f"{k}: {v}" for k, v in (headers or {}).items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()
