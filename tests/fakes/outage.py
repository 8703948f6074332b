"""A provider that cannot be reached: a loopback port that accepts and hangs up at once (counting
each try), and that can come back by forwarding to a real fake."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit


class Outage:
    """While ``down``, every connection is closed before a byte is answered (httpx sees a
    transport error, as with a host that refuses); once ``restore(url)`` was called, connections
    are piped to that server."""

    def __init__(self) -> None:
        self.tries = 0
        self.target: tuple[str, int] | None = None
        self._lock = threading.Lock()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._closed = False
        self._thread = threading.Thread(target=self._accept, name="outage", daemon=True)
        self._thread.start()

    def restore(self, url: str) -> None:
        parts = urlsplit(url)
        self.target = (parts.hostname or "127.0.0.1", parts.port or 80)

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            if self.target is None:
                with self._lock:
                    self.tries += 1
                conn.close()
                continue
            threading.Thread(target=self._pipe, args=(conn, self.target), daemon=True).start()

    @staticmethod
    def _pipe(conn: socket.socket, target: tuple[str, int]) -> None:
        upstream = socket.create_connection(target)

        def copy(src: socket.socket, dst: socket.socket) -> None:
            try:
                while data := src.recv(65536):
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                for s in (src, dst):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        back = threading.Thread(target=copy, args=(upstream, conn), daemon=True)
        back.start()
        copy(conn, upstream)
        back.join(timeout=5)
        conn.close()
        upstream.close()

    def close(self) -> None:
        self._closed = True
        self._sock.close()


@contextmanager
def outage() -> Iterator[Outage]:
    down = Outage()
    try:
        yield down
    finally:
        down.close()
