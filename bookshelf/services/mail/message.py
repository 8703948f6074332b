"""The message a book travels in: subject = title, the file attached under a safe ASCII name
plus its real name in RFC 2231 form, written as bytes ready for SMTP (CRLF line ends)."""

from __future__ import annotations

import re
import unicodedata
import urllib.parse
from email import policy
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid

from bookshelf.services.names import translit

# compat32 writes headers as they are set, so the folded Content-Disposition below survives;
# the modern policy would refold it and drop the RFC 2231 parameter. Lines are folded here, not
# by the generator: at its default 78 columns it would fold inside the quoted file name, and a
# reader would see the fold in the name. 998 is SMTP's own limit.
WIRE = policy.compat32.clone(linesep="\r\n", max_line_length=998)
_FOLD = 76  # columns of each line of an encoded Subject
MAX_NAME = 120
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;=%\'`]+')
_CHUNK = 60  # characters of each RFC 2231 continuation, keeping header lines short


def one_line(text: str, limit: int = 300) -> str:
    """Text fit for a header: control characters (CR, LF ...) become spaces, runs of space one."""
    cleaned = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)
    return " ".join(cleaned.split())[:limit]


def real_name(filename: str, fmt: str) -> str:
    """The file's own name, without folders or control characters, ending in its format."""
    base = one_line(filename.replace("/", " ").replace("\\", " "), MAX_NAME * 2)
    stem = base[: -len(fmt) - 1] if base.lower().endswith("." + fmt) else base
    return f"{stem.strip() or 'book'}.{fmt}"


def ascii_name(filename: str, fmt: str, book_id: str) -> str:
    """The attachment's plain name: spelt as the book's downloads are (services.names), less the
    punctuation some mail services refuse in a file name."""
    spelt = translit.ascii_name(real_name(filename, fmt), book_id)
    stem = spelt[: -len(fmt) - 1] if spelt.endswith("." + fmt) else spelt
    safe = " ".join(_UNSAFE.sub(" ", stem).split()).strip(" .-")[:MAX_NAME].rstrip(" .-")
    return f"{safe or book_id}.{fmt}"


def disposition(ascii: str, real: str) -> str:
    """Content-Disposition with both names; the real one in RFC 2231 continuations, split on
    whole characters so each piece is valid UTF-8 on its own."""
    pieces: list[str] = []
    current = ""
    for char in real:
        quoted = urllib.parse.quote(char, safe="")
        if len(current) + len(quoted) > _CHUNK:
            pieces.append(current)
            current = ""
        current += quoted
    pieces.append(current)
    head = f'attachment; filename="{ascii}"'
    if len(pieces) == 1:
        return f"{head};\r\n filename*=utf-8''{pieces[0]}"
    parts = [f"filename*{i}*={'utf-8' + chr(39) * 2 if i == 0 else ''}{piece}" for i, piece in enumerate(pieces)]
    return head + "".join(f";\r\n {part}" for part in parts)


def _subject(text: str) -> str:
    # Plain when it can be: ASCII, short enough not to be folded, and nothing a reader would
    # take for an encoded word; otherwise RFC 2047 encoded words, which round-trip exactly.
    if text.isascii() and len(text) <= 60 and "=?" not in text:
        return text
    return Header(text, "utf-8", header_name="Subject").encode(linesep="\r\n", maxlinelen=_FOLD)


def book_message(*, sender: str, to: str, title: str, filename: str, fmt: str, media_type: str,
                 data: bytes, book_id: str) -> bytes:  # fmt: skip
    """The message for one book file, as the bytes SMTP sends."""
    message = MIMEMultipart()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = _subject(one_line(title) or "Book")
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    message.attach(MIMEText("Sent by bookshelf.\r\n", "plain", "utf-8"))
    maintype, _, subtype = media_type.partition("/")
    ascii = ascii_name(filename, fmt, book_id)
    part = MIMEApplication(data, subtype if maintype == "application" else "octet-stream", name=ascii)
    part["Content-Disposition"] = disposition(ascii, real_name(filename, fmt))
    message.attach(part)
    return message.as_bytes(policy=WIRE)


def probe_message(*, sender: str, to: str) -> bytes:
    message = MIMEText(
        "This is a test message from bookshelf: the mail server settings work.\r\n"
        "Books sent to this address will arrive the same way.\r\n",
        "plain",
        "utf-8",
    )
    message["From"] = sender
    message["To"] = to
    message["Subject"] = "bookshelf test message"
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    return message.as_bytes(policy=WIRE)
