"""Every way the product compares Vietnamese text, in one place and named.

All of them drop the diacritics the same way: Đ/đ and their look-alikes from OCR (Ð ð Ɖ ɖ) become D/d,
then the combining marks of the canonical decomposition are removed. They differ in what else they keep:

- ``ascii``: the case and everything else (file names, the initials of a document code);
- ``fold``: lower case, whitespace collapsed, punctuation kept (search, sorting);
- ``fold_chars``: lower case, exactly one character for each character of the text, so that a match in the
  folded text is at the same offsets in the original (the deadline parser's patterns);
- ``fold_words``: lower case, only the letters and digits, words joined by one space (agency names, table
  headers and cell keywords); ``ascii_only=True`` keeps only a–z and 0–9.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_D = str.maketrans({"Đ": "D", "đ": "d", "Ð": "D", "ð": "d", "Ɖ": "D", "ɖ": "d"})
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[^\W_]+")
_ASCII_WORD = re.compile(r"[0-9a-z]+")


def _strip(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.translate(_D))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def ascii(text: str) -> str:  # noqa: A001 - the name says what it gives
    """``text`` without diacritics (đ → d), case and punctuation kept."""
    return _strip(unicodedata.normalize("NFKC", text))


def fold(text: str | None) -> str:
    """Lower case, without diacritics, every run of whitespace one space."""
    return _SPACE.sub(" ", _strip(text or "").casefold()).strip()


def _fold_char(c: str) -> str:
    return (_strip(c).lower() or c)[:1]


def fold_chars(text: str) -> str:
    """Lower case without diacritics, one character for one character (offsets are kept)."""
    return "".join(_fold_char(c) for c in text)


@lru_cache(maxsize=16384)
def fold_words(text: str, ascii_only: bool = False) -> str:
    """The words of ``text`` (letters and digits), lower case, without diacritics, joined by one space."""
    folded = _strip(unicodedata.normalize("NFKC", text or "")).casefold()
    return " ".join((_ASCII_WORD if ascii_only else _WORD).findall(folded))


def sort_key(text: str) -> tuple[str, str]:
    """Alphabetical order as Vietnamese readers expect: đ after d, accents after the base letter."""
    base = unicodedata.normalize("NFD", text.replace("Đ", "D~").replace("đ", "d~"))
    return "".join(c for c in base if not unicodedata.combining(c)).casefold(), text
