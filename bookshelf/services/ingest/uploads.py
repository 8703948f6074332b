"""Uploads: a multipart body streamed part by part into data/tmp, never held in memory whole.

Each ``file`` part is written to its own fresh folder under data/tmp with a sanitised name;
a part that grows past the limit is cut off, deleted and reported ``too_large`` while the
rest of the batch is still read.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from bookshelf.errors import InvalidInput, PayloadTooLarge
from bookshelf.services.ingest.pipeline import IngestService, Unsupported
from bookshelf.services.names import header
from bookshelf.services.names.disk import safe_name

FIELD = "file"


@dataclass
class Received:
    filename: str
    path: Path | None = None  # None when rejected
    reason: str | None = None
    message: str | None = None


@dataclass
class _Part:
    headers: dict[str, bytes] = field(default_factory=dict)  # raw: a file name is decoded by its own rule
    header_field: bytes = b""
    header_value: bytes = b""
    handle: IO[bytes] | None = None
    received: Received | None = None
    size: int = 0


class UploadReader:
    """Feeds a request body through python-multipart's streaming parser into temp files."""

    def __init__(self, tmp_dir: Path, max_file_bytes: int, max_body_bytes: int) -> None:
        self.tmp_dir = tmp_dir
        self.max_file_bytes = max_file_bytes
        self.max_body_bytes = max_body_bytes  # a chunked body declares no length: count it as it comes
        self.files: list[Received] = []
        self._part = _Part()

    async def read(self, content_type: str, body: AsyncIterator[bytes]) -> list[Received]:
        from python_multipart.multipart import MultipartParser, parse_options_header

        kind, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise InvalidInput("Upload must be multipart/form-data with a boundary, with the books in field 'file'")
        parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_done,
                "on_part_data": self._data,
                "on_part_end": self._end,
            },
        )
        total = 0
        try:
            async for chunk in body:
                total += len(chunk)
                if total > self.max_body_bytes:
                    raise PayloadTooLarge(f"The upload is larger than {self.max_body_bytes // (1024 * 1024)} MB")
                parser.write(chunk)
            parser.finalize()
        except Exception as exc:
            self.discard()
            if isinstance(exc, (InvalidInput, PayloadTooLarge)):
                raise
            raise InvalidInput(f"The multipart body is malformed ({type(exc).__name__})") from None
        return self.files

    def discard(self) -> None:
        """Remove every temp file still held (after a failure, or once ingest has taken them)."""
        if self._part.handle is not None:
            self._part.handle.close()
            self._part.handle = None
        for received in self.files:
            if received.path is not None:
                shutil.rmtree(received.path.parent, ignore_errors=True)

    # -- parser callbacks --------------------------------------------------------

    def _begin(self) -> None:
        self._part = _Part()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._part.header_field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._part.header_value += data[start:end]

    def _header_end(self) -> None:
        part = self._part
        part.headers[part.header_field.decode("latin-1").lower()] = part.header_value
        part.header_field = part.header_value = b""

    def _headers_done(self) -> None:
        _, params = header.parameters(self._part.headers.get("content-disposition", b""))
        raw_name = header.filename(params)
        if params.get("name") != FIELD.encode() or raw_name is None:
            return  # other fields are ignored
        name = safe_name(raw_name)  # the one rule, its fallback too: a nameless upload is "book"
        received = Received(filename=name)
        folder = self.tmp_dir / uuid.uuid4().hex
        folder.mkdir(parents=True)
        received.path = folder / name
        self._part.handle = open(received.path, "wb")  # noqa: SIM115 - closed in _end or discard
        self._part.received = received
        self.files.append(received)

    def _data(self, data: bytes, start: int, end: int) -> None:
        part = self._part
        if part.handle is None or part.received is None:
            return
        part.size += end - start
        if part.size > self.max_file_bytes:
            part.handle.close()
            part.handle = None
            assert part.received.path is not None
            shutil.rmtree(part.received.path.parent, ignore_errors=True)
            part.received.path = None
            part.received.reason = "too_large"
            part.received.message = f"The file is larger than the {self.max_file_bytes // (1024 * 1024)} MB limit"
            return
        part.handle.write(data[start:end])

    def _end(self) -> None:
        part = self._part
        if part.handle is not None:
            part.handle.close()
            part.handle = None
        if part.received is not None and part.received.path is not None and part.size == 0:
            part.received.reason, part.received.message = "empty_file", "The file is empty."
            shutil.rmtree(part.received.path.parent, ignore_errors=True)
            part.received.path = None


async def take_uploads(ingest: IngestService, files: list[Received]) -> tuple[int, dict[str, Any]]:
    """Ingest what was received; (status, body) per API.md: 201, 200 for only duplicates, 400/413."""
    uploaded: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    duplicates: list[dict[str, Any]] = []
    for received in files:
        if received.path is None:
            rejected.append({"filename": received.filename, "reason": received.reason, "message": received.message})
            continue
        try:
            result = await ingest.accept(received.path, name=received.filename, trust_extension=False)
        except Unsupported as exc:
            rejected.append({"filename": received.filename, "reason": exc.reason, "message": exc.message})
        else:
            if result.duplicate:
                title = await ingest.title_of(result.book_id)
                duplicates.append({"filename": result.filename, "bookId": result.book_id, "title": title})
            else:
                uploaded.append({"filename": result.filename, "bookId": result.book_id})
        finally:
            shutil.rmtree(received.path.parent, ignore_errors=True)
    body = {"uploaded": uploaded, "rejected": rejected, "duplicates": duplicates}
    if not files:
        raise InvalidInput("No file was uploaded: send the books in multipart field 'file'")
    if uploaded:
        return 201, body
    if duplicates:
        return 200, body
    if all(r["reason"] == "too_large" for r in rejected):
        error = PayloadTooLarge("Every file is larger than the upload limit", details=rejected)
        raise error
    raise InvalidInput("No file was accepted", details=rejected)
