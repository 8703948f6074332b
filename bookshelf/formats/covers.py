"""Cover images: sniffing, validation before decoding, normalising and thumbnails."""

from __future__ import annotations

import io
import warnings
from typing import Any

from bookshelf.formats.parsed import FormatError

MAX_PIXELS = 40_000_000
MAX_COVER_SIDE = 1600  # what a cover that has to be re-encoded is scaled down to
# A JPEG up to this size is kept byte for byte: decoding, scaling and encoding it again
# cost far more than its extra pixels (calibre's generated covers are 1240x1754).
MAX_KEPT_JPEG_SIDE = 2048
MAX_IMAGE_BYTES = 64 * 1024 * 1024
_KEEP_AS_IS = ("image/jpeg", "image/png")


def sniff_image_type(data: bytes) -> str | None:
    """The media type of an image by its magic bytes, for the four types readers display."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def open_image(data: bytes) -> Any:
    """A lazily-decoded Pillow image whose dimensions have been checked; FormatError otherwise."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise FormatError("The image is empty.", "bad_image")
    if len(data) > MAX_IMAGE_BYTES:
        raise FormatError("The image is larger than 64 MiB.", "bad_image")
    try:
        with warnings.catch_warnings():
            # We apply our own, lower pixel cap right below, before any decoding happens.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError) as exc:
        raise FormatError(f"The image cannot be read ({exc}).", "bad_image") from exc
    width, height = img.size
    if width <= 0 or height <= 0 or width * height > MAX_PIXELS:
        raise FormatError(
            f"The image is {width}x{height} pixels, beyond the {MAX_PIXELS // 1_000_000} megapixel limit.", "bad_image"
        )
    return img


def checked_cover(data: bytes | None) -> tuple[bytes, str] | None:
    """A cover worth keeping as-is from a book (cheap header checks only), or None."""
    if not data:
        return None
    media_type = sniff_image_type(data)
    if media_type is None:
        return None
    try:
        open_image(data)
    except FormatError:
        return None
    return data, media_type


def _to_rgb(img: Any) -> Any:
    from PIL import Image

    if img.mode in ("RGBA", "LA", "P"):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img.convert("RGB") if img.mode != "RGB" else img


def _decode(img: Any, what: str) -> Any:
    try:
        img.load()
    except (OSError, ValueError, SyntaxError) as exc:
        raise FormatError(f"The {what} image is damaged ({exc}).", "bad_image") from exc
    return img


def encode_jpeg(img: Any, quality: int = 85) -> bytes:
    out = io.BytesIO()
    _to_rgb(img).save(out, "JPEG", quality=quality, optimize=False)
    return out.getvalue()


def _kept(media_type: str | None, img: Any) -> bool:
    """A JPEG within MAX_KEPT_JPEG_SIDE or a PNG within MAX_COVER_SIDE stays as it is."""
    limit = MAX_KEPT_JPEG_SIDE if media_type == "image/jpeg" else MAX_COVER_SIDE
    return media_type in _KEEP_AS_IS and max(img.size) <= limit


def normalise_cover(data: bytes) -> tuple[bytes, str]:
    """Small enough JPEG/PNG (see _kept) are kept byte for byte; anything else becomes a JPEG."""
    img = open_image(data)
    media_type = sniff_image_type(data)
    if _kept(media_type, img):
        _decode(img, "cover")  # a truncated file must fail here, not in a browser later
        return data, media_type or "image/jpeg"
    if img.format == "JPEG":
        img.draft("RGB", (MAX_COVER_SIDE, MAX_COVER_SIDE))  # let libjpeg downscale while decoding
    img = _decode(img, "cover")
    img.thumbnail((MAX_COVER_SIDE, MAX_COVER_SIDE))
    return encode_jpeg(img), "image/jpeg"


def cover_and_thumbnail(data: bytes, max_side: int = 300) -> tuple[bytes, str, bytes]:
    """normalise_cover and make_thumbnail from one decode: (cover, media type, thumbnail JPEG).

    A JPEG kept as-is is decoded at the smallest scale libjpeg offers above the
    thumbnail's size: it still reads the whole stream, so a truncated file fails
    here just as a full decode would, at a fraction of the cost.
    """
    img = open_image(data)
    media_type = sniff_image_type(data)
    if _kept(media_type, img):
        if img.format == "JPEG":
            img.draft("RGB", (max_side, max_side))
        img = _decode(img, "cover")
        return data, media_type or "image/jpeg", _thumbnail(img, max_side)
    if img.format == "JPEG":
        img.draft("RGB", (MAX_COVER_SIDE, MAX_COVER_SIDE))
    img = _decode(img, "cover")
    img.thumbnail((MAX_COVER_SIDE, MAX_COVER_SIDE))
    return encode_jpeg(img), "image/jpeg", _thumbnail(img, max_side)


def _thumbnail(img: Any, max_side: int) -> bytes:
    small = img.copy() if max(img.size) > max_side else img
    small.thumbnail((max_side, max_side))
    return encode_jpeg(small, quality=80)


def make_thumbnail(data: bytes, max_side: int = 300) -> bytes:
    """A JPEG no larger than max_side on either side."""
    img = open_image(data)
    if img.format == "JPEG":
        img.draft("RGB", (max_side, max_side))
    img = _decode(img, "thumbnail")
    img.thumbnail((max_side, max_side))
    return encode_jpeg(img, quality=80)


def scale_to_width(data: bytes, max_width: int | None) -> tuple[bytes, str]:
    """An image narrower than max_width, re-encoded only when it had to shrink."""
    img = open_image(data)
    media_type = sniff_image_type(data) or "application/octet-stream"
    if max_width is None or img.size[0] <= max_width:
        return data, media_type
    if img.format == "JPEG":
        img.draft("RGB", (max_width, img.size[1]))
    img = _decode(img, "page")
    height = max(1, round(img.size[1] * max_width / img.size[0]))
    return encode_jpeg(img.resize((max_width, height))), "image/jpeg"
