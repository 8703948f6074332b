"""Generated covers for books without one: title, author and series set on a coloured placeholder.

Pure functions: the key names the picture by what is drawn on it (so a new title makes a new
picture and a new URL), and ``render`` draws it with Pillow's bundled font, the same for every
reader of the library (the web UI, OPDS clients, KOReader).
"""

from __future__ import annotations

import io
from typing import Any

from bookshelf.placeholder_text import book_text, book_token, placeholder_key, series_label

__all__ = ["HEIGHT", "WIDTH", "book_text", "book_token", "placeholder_key", "render", "series_label"]
WIDTH, HEIGHT = 600, 900
# Background, ink: dark, muted cloth colours with light ink, each with contrast well above 4.5:1.
_PALETTE = (
    ((31, 61, 84), (244, 236, 214)), ((94, 36, 42), (246, 232, 208)), ((34, 74, 56), (238, 240, 222)),
    ((63, 45, 86), (240, 232, 246)), ((84, 60, 28), (250, 238, 212)), ((40, 48, 56), (236, 232, 220)),
    ((22, 78, 88), (232, 244, 240)), ((104, 52, 26), (250, 236, 220)),
)  # fmt: skip


def render(title: str | None, author: str | None, series: str | None) -> bytes:
    """The placeholder as a JPEG of WIDTH x HEIGHT."""
    from PIL import Image, ImageDraw

    key = placeholder_key(title, author, series)
    background, ink = _PALETTE[int(key[:8], 16) % len(_PALETTE)]
    img = Image.new("RGB", (WIDTH, HEIGHT), background)
    draw = ImageDraw.Draw(img)
    margin = 48
    # A thin frame and two rules, as on a cloth binding.
    draw.rectangle((24, 24, WIDTH - 25, HEIGHT - 25), outline=ink, width=3)
    draw.line((margin, 150, WIDTH - margin, 150), fill=ink, width=2)
    draw.line((margin, HEIGHT - 170, WIDTH - margin, HEIGHT - 170), fill=ink, width=2)
    span = WIDTH - 2 * margin
    y = 190
    font, lines = _fit(title or "Untitled", span, sizes=(64, 56, 48, 42, 36), max_lines=6)
    for line in lines:
        draw.text((WIDTH // 2, y), line, font=font, fill=ink, anchor="ma")
        y += int(font.size * 1.2)
    if author:
        small, author_lines = _fit(author, span, sizes=(38, 32, 28), max_lines=2)
        y = max(y + 40, 560)
        for line in author_lines:
            draw.text((WIDTH // 2, y), line, font=small, fill=ink, anchor="ma")
            y += int(small.size * 1.25)
    if series:
        tiny, series_lines = _fit(series, span, sizes=(30, 26, 22), max_lines=1)
        draw.text((WIDTH // 2, HEIGHT - 130), series_lines[0], font=tiny, fill=ink, anchor="ma")
    out = io.BytesIO()
    img.save(out, "JPEG", quality=88, optimize=True)
    return out.getvalue()


def _fit(text: str, span: int, sizes: tuple[int, ...], max_lines: int) -> tuple[Any, list[str]]:
    """The largest font size at which ``text`` wraps into ``max_lines``; the last size cuts with an ellipsis."""
    from PIL import ImageFont

    words = " ".join(text.split()).split(" ")
    for size in sizes:
        font = ImageFont.load_default(size=size)
        lines = _wrap(words, font, span)
        if len(lines) <= max_lines:
            return font, lines
    lines = lines[:max_lines]
    last = lines[-1]
    while last and font.getlength(last + "…") > span:
        last = last[:-1]
    lines[-1] = last.rstrip() + "…"
    return font, lines


def _wrap(words: list[str], font: Any, span: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in words:
        while font.getlength(word) > span and len(word) > 1:  # a word wider than the cover is cut
            cut = len(word) - 1
            while cut > 1 and font.getlength(word[:cut]) > span:
                cut -= 1
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:cut])
            word = word[cut:]
        trial = f"{current} {word}".strip()
        if current and font.getlength(trial) > span:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines or [""]
