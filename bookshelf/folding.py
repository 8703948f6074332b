"""Search folding: the one normalisation applied to everything indexed and everything searched.

What a reader types and what the library holds must meet in one form, whatever
the script: the full-text index, typo correction, suggestions, facet filters,
sort keys and OPDS search all go through :func:`fold`. SQLite's ``unicode61``
tokenizer removes diacritics from Latin letters only, so the index is fed
text folded here (the ``search_fold`` SQL function, see
:func:`register`), never raw titles.

Folding is NFKC (compatibility forms: ligatures, full-width and Arabic
presentation forms), case folding, then removal of the marks that are
diacritics in their script: Latin and Vietnamese accents, Greek tonos,
breathings and iota subscript, Hebrew niqqud and cantillation, Arabic harakat,
hamza carriers and tatweel. Marks that are letters' vowels in other scripts
(Devanagari matras, Thai vowels) and Japanese voicing marks are kept: removing
them would merge different words.

Changing what :func:`fold` returns changes what the index holds: bump
``FOLD_VERSION`` so every data folder rebuilds its index at start.
"""

from __future__ import annotations

import sqlite3
import unicodedata

FOLD_VERSION = 1

# Combining marks that are diacritics: the generic blocks, Hebrew points and accents, Arabic marks.
_MARK_RANGES = (
    (0x0300, 0x036F),  # combining diacritical marks (Latin, Greek tonos, breathings, ypogegrammeni, Cyrillic)
    (0x0483, 0x0489),  # Cyrillic titlo and other combining signs
    (0x0591, 0x05BD),  # Hebrew cantillation and niqqud
    (0x05BF, 0x05BF),
    (0x05C1, 0x05C2),  # shin and sin dots
    (0x05C4, 0x05C5),
    (0x05C7, 0x05C7),
    (0x0610, 0x061A),  # Arabic honorific signs
    (0x064B, 0x065F),  # Arabic harakat, tanwin, shadda, sukun, hamza above/below, madda
    (0x0670, 0x0670),  # superscript alef
    (0x06D6, 0x06DC),  # Quranic annotation marks
    (0x06DF, 0x06E4),
    (0x06E7, 0x06E8),
    (0x06EA, 0x06ED),
    (0x1AB0, 0x1AFF),  # combining diacritical marks extended
    (0x1DC0, 0x1DFF),  # combining diacritical marks supplement
    (0x20D0, 0x20FF),  # combining marks for symbols
    (0xFE20, 0xFE2F),  # combining half marks
)
# Letters that carry a diacritic without decomposing into letter + mark, and Arabic letter variants
# that search treats as one letter (as Lucene's Arabic normaliser does).
_LETTERS = {
    "đ": "d",
    "ð": "d",
    "ø": "o",
    "ł": "l",
    "ħ": "h",
    "ŧ": "t",
    "ı": "i",
    "æ": "ae",
    "œ": "oe",
    "ƀ": "b",
    "ɨ": "i",
    "\u0640": "",  # Arabic tatweel: a stretch, not a letter
    "\u0671": "\u0627",  # alef wasla -> alef
    "\u0649": "\u064a",  # alef maksura -> yeh
    "\u0629": "\u0647",  # teh marbuta -> heh
}
_TABLE: dict[int, str | None] = {code: None for low, high in _MARK_RANGES for code in range(low, high + 1)}
_TABLE.update({ord(k): v for k, v in _LETTERS.items()})


def fold(text: str | None) -> str:
    """``text`` as search sees it: compatibility forms unified, case folded, diacritics removed."""
    if not text:
        return ""
    if text.isascii():
        return text.lower()
    # Marks go before case folding too: casefold turns the iota subscript into a letter (ᾳ -> αι).
    stripped = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text)).translate(_TABLE).casefold()
    if not stripped.isascii():  # case folding can bring marks back (İ -> i + combining dot)
        stripped = unicodedata.normalize("NFD", stripped).translate(_TABLE)
    return unicodedata.normalize("NFC", stripped)


def name_key(name: str) -> str:
    """What two names are the same by, which :func:`fold` is too loose for: NFC, then case folded
    (and NFC again, as folding may decompose). Two user names; or two file names a disk a NAS
    serves would take for the same file (``Dune.epub``, ``DUNE.epub`` and the NFD spelling of either)."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name).casefold())


_ARTICLES = ("the ", "a ", "an ")


def sort_key(title: str | None) -> str:
    """Sort key for titles: folded, a leading English article moved aside (also what suggest prefixes match)."""
    folded = " ".join(fold(title).split())
    for article in _ARTICLES:
        if folded.startswith(article):
            return folded[len(article) :]
    return folded


def register(conn: sqlite3.Connection) -> None:
    """Make ``search_fold(text)`` and ``search_sort_key(title)`` available to SQL on ``conn``.

    The index triggers call ``search_fold``.

    Every connection that writes books needs it (the triggers fail loudly without it);
    :func:`bookshelf.db.connection.configure` registers it on each connection it opens.
    """
    conn.create_function("search_fold", 1, _sql_fold, deterministic=True)
    conn.create_function("search_sort_key", 1, lambda v: None if v is None else sort_key(str(v)), deterministic=True)


def _sql_fold(value: object) -> str | None:
    if value is None:
        return None
    return fold(str(value))
