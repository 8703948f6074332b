"""A readable ASCII spelling of a name in any script that has one.

Greek (with polytonic breathings), Cyrillic, Latin with diacritics (Vietnamese too),
Arabic and Persian, Hebrew and Hangul are spelt by the tables here; other letters whose
Unicode name spells a sound (Armenian, Georgian, Devanagari...) by that name. Ideographs
have no spelling: they are reported as lost so the caller can fall back to an id.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґўђјљњћџѓќѕ",
        "a b v g d e e zh z i i k l m n o p r s t u f kh ts ch sh shch _ y _ e iu ia "
        "i i ie g u dj j lj nj c dz g k dz".split(),
        strict=True,
    )
)
_GREEK = dict(
    zip(
        "αβγδεζηθικλμνξοπρσςτυφχψω",
        "a v g d e z i th i k l m n x o p r s s t y f ch ps o".split(),
        strict=True,
    )
)
_ARABIC = dict(
    zip(
        "اأإآٱبتثجحخدذرزسشصضطظعغفقكلمنهويىةءؤئپچژگکیە",
        "a a i a a b t th j h kh d dh r z s sh s d t z _ gh f q k l m n h w y a a _ w y p ch zh g k y e".split(),
        strict=True,
    )
)
_HEBREW = dict(
    zip(
        "אבגדהוזחטיכךלמםנןסעפףצץקרשת",
        "_ v g d h v z ch t y k k l m m n n s _ p f ts ts k r sh t".split(),
        strict=True,
    )
)
_LATIN = {
    "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "ł": "l", "ħ": "h",
    "ı": "i", "ŋ": "ng", "ĸ": "k", "ſ": "s", "ŧ": "t", "ƒ": "f", "ə": "e",
}  # fmt: skip
_PUNCTUATION = {
    "—": "-", "–": "-", "‐": "-", "‑": "-", "‒": "-", "―": "-", "−": "-", "‘": "'", "’": "'", "‚": "'",
    "‛": "'", "“": "'", "”": "'", "„": "'", "«": "'", "»": "'", "‹": "'", "›": "'", "…": "...", "·": "-",
    "・": " ", "、": ",", "。": ".", "：": " - ", "，": ",", "！": "!", "？": "", "「": "'", "」": "'",
    "『": "'", "』": "'", "《": "'", "》": "'", "〈": "'", "〉": "'", "（": "(", "）": ")", "【": "[",
    "】": "]", "׳": "'", "״": "'", "،": ",", "؛": ";", "؟": "", "\u3000": " ",
}  # fmt: skip
_TABLES = (_CYRILLIC, _GREEK, _ARABIC, _HEBREW, _LATIN)
_ROUGH_BREATHING = "\u0314"
# Revised Romanization of Korean: initial, medial and final jamo of a precomposed syllable.
_HANGUL_L = "g kk n d tt r m b pp s ss _ j jj ch k t p h".split()
_HANGUL_V = "a ae ya yae eo e yeo ye o wa wae oe yo u wo we wi yu eu ui i".split()
_HANGUL_T = ["", *"k k ks n nj nh t l lk lm lb ls lt lp lh m p ps t t ng t t k t p h".split()]
_LETTER_NAME = re.compile(r"\b(CAPITAL |SMALL )?LETTER ([A-Z]{1,4})$")


def _hangul(ch: str) -> str | None:
    index = ord(ch) - 0xAC00
    if not 0 <= index < 11172:
        return None
    lead, rest = divmod(index, 588)
    vowel, tail = divmod(rest, 28)
    return (_HANGUL_L[lead].replace("_", "") + _HANGUL_V[vowel] + _HANGUL_T[tail]) or None


@lru_cache(maxsize=4096)
def _spell(ch: str) -> str | None:
    """The ASCII spelling of one base character; "" for one with no sound; None when unknown."""
    if ch.isascii():
        return ch
    if ch in _PUNCTUATION:
        return _PUNCTUATION[ch]
    lower = ch.lower()
    for table in _TABLES:
        if lower in table:
            spelt = table[lower].replace("_", "")
            return spelt.capitalize() if ch != lower and len(spelt) > 1 else (spelt.upper() if ch != lower else spelt)
    if (decimal := unicodedata.decimal(ch, None)) is not None:
        return str(decimal)
    if (hangul := _hangul(ch)) is not None:
        return hangul
    category = unicodedata.category(ch)
    if category.startswith("Z"):
        return " "
    if category.startswith(("P", "S")):
        return ""  # punctuation and symbols (emoji among them) carry no name's meaning
    if category.startswith(("M", "C")):
        return ""
    match = _LETTER_NAME.search(unicodedata.name(ch, ""))
    if match and "IDEOGRAPH" not in unicodedata.name(ch, "") and "LATIN" not in unicodedata.name(ch, ""):
        word = _sound(match.group(2).lower())
        return word.capitalize() if match.group(1) == "CAPITAL " else word
    return None


def _sound(letter_name: str) -> str:
    """A letter's sound from its name: ``ka`` stays, ``ben`` is b, ``khar`` kh, ``ayb`` a."""
    if letter_name[0] in "aeiou":
        return letter_name[0]
    if len(letter_name) <= 2:
        return letter_name
    lead = re.match(r"[^aeiou]*", letter_name)
    consonants = lead.group(0) if lead else ""
    return consonants or letter_name[0]


def transliterate(text: str) -> tuple[str, bool]:
    """(ASCII spelling, whether any letter or digit had none and was left out)."""
    out: list[str] = []
    lost = False
    for cluster in _clusters(unicodedata.normalize("NFKC", text)):
        base, marks = cluster[0], cluster[1:]
        spelt = _spell(base)
        if spelt is None:
            lost = lost or unicodedata.category(base)[0] in "LN"
            out.append(" ")
            continue
        if _ROUGH_BREATHING in marks and spelt[:1].lower() in "aeiouy":
            spelt = ("H" + spelt.lower()) if spelt[:1].isupper() else ("h" + spelt)
        out.append(spelt)
    return "".join(out), lost


def _clusters(text: str) -> list[str]:
    """Each character decomposed (NFD) with its combining marks kept beside it."""
    clusters: list[str] = []
    for ch in text:
        decomposed = unicodedata.normalize("NFD", ch) if not 0xAC00 <= ord(ch) <= 0xD7A3 else ch
        for part in decomposed:
            if clusters and unicodedata.combining(part):
                clusters[-1] += part
            else:
                clusters.append(part)
    return clusters


_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9 !#$&+,.;=@^_`{}~()\[\]'-]")
_SEPARATORS = re.compile(r"(?:\s*-\s*){2,}|^[\s\-.,;]+|[\s\-,;]+$")
MAX_ASCII_BYTES = 200  # a device saving under this name adds its folder; keep well under 255


def ascii_name(filename: str, book_id: str, tag: str = "") -> str:
    """The ``filename=`` a download is saved as by clients that read nothing else (KOReader):
    pure ASCII, readable, never empty. A name with letters that have no spelling (ideographs)
    gets the book's short id beside what could be spelt, or the whole id when nothing could;
    ``tag`` (a short id) tells apart books whose names spell the same."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, ext = base.rpartition(".")
    if not dot or not re.fullmatch(r"[A-Za-z0-9]{1,10}", ext):
        stem, ext = base, ""
    spelt, lost = transliterate(stem)
    readable = _UNSAFE_ASCII.sub("_", spelt.replace('"', "'"))
    readable = _SEPARATORS.sub(lambda m: " - " if m.start() and m.end() < len(readable) else "", readable)
    readable = " ".join(readable.split()).lstrip(".").strip()
    ext = _UNSAFE_ASCII.sub("", transliterate(ext)[0]).lower()
    if not any(c.isalnum() for c in readable):
        readable, lost = book_id, False
    marks = [m for m in ((book_id[:8] if lost else ""), tag) if m]
    suffix = "".join(f" ({m})" for m in marks) + (f".{ext}" if ext else "")
    room = MAX_ASCII_BYTES - len(suffix)
    return readable[:room].rstrip(" .-") + suffix
