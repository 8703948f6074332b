"""Language tags to BCP 47: ISO 639-2/3 codes and common names to two letters, region case fixed."""

from __future__ import annotations

import re

# Three-letter codes (ISO 639-2/B, 639-2/T, 639-3) for languages with a two-letter code.
_THREE_TO_TWO = {
    "eng": "en", "fre": "fr", "fra": "fr", "ger": "de", "deu": "de", "spa": "es", "ita": "it",
    "por": "pt", "dut": "nl", "nld": "nl", "rus": "ru", "ukr": "uk", "pol": "pl", "cze": "cs",
    "ces": "cs", "slo": "sk", "slk": "sk", "hun": "hu", "rum": "ro", "ron": "ro", "bul": "bg",
    "gre": "el", "ell": "el", "tur": "tr", "ara": "ar", "heb": "he", "per": "fa", "fas": "fa",
    "hin": "hi", "ben": "bn", "urd": "ur", "chi": "zh", "zho": "zh", "jpn": "ja", "kor": "ko",
    "vie": "vi", "tha": "th", "ind": "id", "may": "ms", "msa": "ms", "swe": "sv", "nor": "no",
    "nob": "nb", "nno": "nn", "dan": "da", "fin": "fi", "ice": "is", "isl": "is", "est": "et",
    "lav": "lv", "lit": "lt", "slv": "sl", "hrv": "hr", "srp": "sr", "bos": "bs", "mac": "mk",
    "mkd": "mk", "alb": "sq", "sqi": "sq", "cat": "ca", "baq": "eu", "eus": "eu", "glg": "gl",
    "wel": "cy", "cym": "cy", "gle": "ga", "lat": "la", "epo": "eo", "afr": "af", "swa": "sw",
    "tam": "ta", "tel": "te", "mar": "mr", "guj": "gu", "pan": "pa", "kan": "kn", "mal": "ml",
    "arm": "hy", "hye": "hy", "geo": "ka", "kat": "ka", "aze": "az", "kaz": "kk", "uzb": "uz",
    "bel": "be", "mon": "mn", "tgl": "tl", "fil": "tl", "yid": "yi", "amh": "am", "som": "so",
    "grc": "grc", "und": "und",
}
_NAMES = {
    "english": "en", "french": "fr", "français": "fr", "german": "de", "deutsch": "de",
    "spanish": "es", "español": "es", "italian": "it", "portuguese": "pt", "dutch": "nl",
    "russian": "ru", "русский": "ru", "japanese": "ja", "日本語": "ja", "chinese": "zh",
    "korean": "ko", "arabic": "ar", "hebrew": "he", "polish": "pl", "swedish": "sv",
}
_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")


def _fix_subtag(sub: str, position: int) -> str:
    if len(sub) == 4 and sub.isalpha():  # script, e.g. Hant
        return sub.title()
    if position > 0 and (len(sub) == 2 and sub.isalpha() or len(sub) == 3 and sub.isdigit()):
        return sub.upper()  # region, e.g. BR or 419
    return sub.lower()


def to_bcp47(value: str | None) -> str | None:
    """'eng' -> 'en', 'en_US' -> 'en-US', 'PT-br' -> 'pt-BR'; None for junk."""
    if not value:
        return None
    text = value.strip().replace("_", "-")
    if text.lower() in _NAMES:
        return _NAMES[text.lower()]
    if not _TAG.match(text):
        return None
    parts = text.split("-")
    primary = parts[0].lower()
    primary = _THREE_TO_TWO.get(primary, primary)
    if primary in ("und", "zxx", "mul"):
        return None
    return "-".join([primary] + [_fix_subtag(p, i + 1) for i, p in enumerate(parts[1:])])
