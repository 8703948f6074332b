"""Names on disk: decoded from whatever bytes a filesystem holds, safe on every filesystem a NAS
shares, at most 255 bytes with the extension kept, and compared the way a case-insensitive,
normalisation-insensitive disk (SMB, APFS, exFAT) compares them."""

from __future__ import annotations

import re
import unicodedata

UNKNOWN = "Unknown"
MAX_COMPONENT_BYTES = 255
# Windows refuses these as a name, with or without an extension (SMB shares inherit that).
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
_FORBIDDEN = re.compile(r'[<>"/\\|?*]')
_COLON = re.compile(r"\s*:\s*")
# Bidirectional overrides can make "evil\u202egpj.epub" look like another name; BOM is noise.
_INVISIBLE = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069\ufeff]")
_SURROGATES = re.compile("[\udc80-\udcff]+")
_EXTENSION = re.compile(r"^[A-Za-z0-9]{1,10}$")


def from_filesystem(name: str) -> str:
    """A name as read from a disk, with bytes that were not UTF-8 (held by Python as lone
    surrogates) read as the Windows-1252 a legacy NAS share most likely meant, else U+FFFD."""
    if not _SURROGATES.search(name):
        return name
    return _SURROGATES.sub(lambda m: _legacy(m.group(0).encode("utf-8", "surrogateescape")), name)


def _legacy(raw: bytes) -> str:
    text = raw.decode("cp1252", "replace")
    return "".join(c if c.isprintable() else "\ufffd" for c in text)


def source_key(path: str) -> str:
    """A storable (valid UTF-8) text for a path that may hold undecodable bytes, one per path."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def truncate_utf8(text: str, limit: int) -> str:
    """At most ``limit`` UTF-8 bytes, cut on a character boundary (never half a character, nor a
    joiner or a mark left dangling at the end)."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    cut = data[: max(limit, 0)].decode("utf-8", errors="ignore")
    while cut and (cut[-1] == "\u200d" or unicodedata.combining(cut[-1])):
        cut = cut[:-1]
    return cut


def _printable(text: str) -> str:
    text = _INVISIBLE.sub("", text)
    out = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in ("Zl", "Zp"):
            out.append(" ")
        elif category not in ("Cc", "Cs"):
            out.append(ch)
    return "".join(out)


def safe_component(text: str | None, limit: int = MAX_COMPONENT_BYTES) -> str:
    """One path component valid on ext4, Btrfs, NTFS, exFAT and SMB: NFC, no forbidden or
    control characters, no trailing dots or spaces, no reserved names, at most ``limit`` bytes."""
    return _clean(text, limit) or UNKNOWN


def _clean(text: str | None, limit: int) -> str:
    """``safe_component`` without the stand-in: "" when nothing usable is left."""
    name = unicodedata.normalize("NFC", _printable(from_filesystem(text or "")))
    name = _COLON.sub(" - ", name)  # "Dune: Messiah" reads better as "Dune - Messiah" than "Dune_ Messiah"
    name = _FORBIDDEN.sub("_", name)
    name = " ".join(name.split())
    name = name.lstrip(". ")  # a leading dot hides the file on Unix
    name = truncate_utf8(name, limit).rstrip(". ")
    if name and name.split(".")[0].strip().upper() in _RESERVED:
        name = truncate_utf8("_" + name, limit).rstrip(". ")
    return name


def safe_filename(stem: str, ext: str, suffix: str = "", limit: int = MAX_COMPONENT_BYTES) -> str:
    """``stem + suffix + "." + ext`` as a safe name, the stem shortened so the whole fits ``limit``."""
    ext = safe_component(ext.lower().lstrip("."), 16) if ext else ""
    tail = suffix + (f".{ext}" if ext else "")
    room = limit - len(tail.encode("utf-8"))
    return safe_component(stem, room) + tail


def split_extension(name: str) -> tuple[str, str]:
    """(stem, extension) of a name; a "extension" that is long or not alphanumeric is part of the stem."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not _EXTENSION.match(ext):
        return name, ""
    return stem, ext


def safe_name(raw: str | None, fallback: str = "book", limit: int = MAX_COMPONENT_BYTES) -> str:
    """A plain basename for a name from outside: no folders, safe everywhere, extension kept;
    ``fallback``'s stem (and its extension, if the name has none) when nothing usable is left."""
    name = from_filesystem(raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem, ext = split_extension(unicodedata.normalize("NFC", name))
    ext = _clean(ext.lower(), 16)
    tail = f".{ext}" if ext else ""
    cleaned = _clean(stem, limit - len(tail.encode("utf-8")))
    if not cleaned:
        fallback_stem, fallback_ext = split_extension(fallback)
        tail = tail or (f".{fallback_ext}" if fallback_ext else "")
        cleaned = _clean(fallback_stem, limit - len(tail.encode("utf-8"))) or UNKNOWN
    return cleaned + tail
