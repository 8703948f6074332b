"""The file name in a multipart part's Content-Disposition, in every form clients send it.

Browsers, curl and httpx send the name as raw UTF-8 bytes inside ``filename="..."``
(browsers escape ``"``, CR and LF as %22, %0D, %0A); some clients percent-encode it
all; older ones send Latin-1; RFC 5987/2231 clients add ``filename*=UTF-8''...``, possibly
in numbered continuations. The header arrives as bytes and is decoded here, never first
forced through Latin-1 text (which is what once made every non-ASCII name a 400).
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

_PERCENT = re.compile(rb"%[0-9A-Fa-f]{2}")
_CONTINUATION = re.compile(r"^(?P<key>[^*]+)\*(?P<n>\d+)(?P<ext>\*?)$")
_CHARSETS = {"utf-8": "utf-8", "utf8": "utf-8", "iso-8859-1": "latin-1", "latin-1": "latin-1", "latin1": "latin-1",
             "us-ascii": "ascii", "windows-1252": "cp1252", "cp1252": "cp1252"}  # fmt: skip


def parameters(value: bytes) -> tuple[str, dict[str, bytes]]:
    """(disposition type, raw parameter values by lower-case key) of a header value in bytes."""
    segments = _split(value)
    kind = segments[0].strip().decode("latin-1").lower() if segments else ""
    params: dict[str, bytes] = {}
    for segment in segments[1:]:
        key, eq, raw = segment.partition(b"=")
        if not eq:
            continue
        raw = raw.strip()
        if len(raw) >= 2 and raw[:1] == b'"' and raw[-1:] == b'"':
            raw = re.sub(rb"\\(.)", rb"\1", raw[1:-1])
        params.setdefault(key.strip().decode("latin-1").lower(), raw)
    return kind, params


def _split(value: bytes) -> list[bytes]:
    """Split on ``;`` outside double quotes (a name may hold a quoted ``;``)."""
    parts, current, quoted, escaped = [], bytearray(), False, False
    for byte in value:
        ch = bytes([byte])
        if escaped:
            escaped = False
        elif ch == b"\\" and quoted:
            escaped = True
        elif ch == b'"':
            quoted = not quoted
        elif ch == b";" and not quoted:
            parts.append(bytes(current))
            current = bytearray()
            continue
        current += ch
    parts.append(bytes(current))
    return parts


def filename(params: dict[str, bytes]) -> str | None:
    """The part's file name: ``filename*`` when it decodes, else ``filename``; None when absent."""
    extended = _extended(params)
    if extended:
        return extended
    raw = params.get("filename")
    return None if raw is None else decode_plain(raw)


def decode_plain(raw: bytes) -> str:
    """``filename="..."`` bytes: UTF-8 as browsers send it, percent-encoded UTF-8, else Latin-1."""
    if raw.isascii() and _PERCENT.search(raw):
        try:
            text = unquote_to_bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            if not text.isascii():  # a client that percent-encoded a non-ASCII name
                return text
    # What the HTML form encoding escapes; a literal "%41" in a name is left alone.
    raw = raw.replace(b"%22", b'"').replace(b"%0D", b"\r").replace(b"%0A", b"\n")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")


def _extended(params: dict[str, bytes]) -> str | None:
    """RFC 5987/2231 ``filename*=charset'lang'value``, joined from ``filename*0*``... pieces."""
    if "filename*" in params:
        return _decode_extended(params["filename*"])
    pieces: dict[int, tuple[bytes, bool]] = {}
    for key, raw in params.items():
        match = _CONTINUATION.match(key)
        if match and match["key"] == "filename":
            pieces[int(match["n"])] = (raw, bool(match["ext"]))
    if not pieces or 0 not in pieces:
        return None
    charset = "utf-8"
    data = b""
    for n in range(len(pieces)):
        if n not in pieces:
            break
        raw, encoded = pieces[n]
        if n == 0 and encoded:
            head, _, _, rest = _charset_split(raw)
            charset, raw = head, rest
        data += unquote_to_bytes(raw) if encoded else raw
    try:
        return data.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return None


def _charset_split(raw: bytes) -> tuple[str, bytes, bytes, bytes]:
    charset, _, rest = raw.partition(b"'")
    lang, _, value = rest.partition(b"'")
    return _CHARSETS.get(charset.decode("latin-1").strip().lower(), "utf-8"), lang, b"", value


def _decode_extended(raw: bytes) -> str | None:
    if raw.count(b"'") < 2:
        return None
    charset, _, _, value = _charset_split(raw)
    try:
        return unquote_to_bytes(value).decode(charset)
    except (UnicodeDecodeError, LookupError):
        return None
