"""Words of any language, for matching quotes, comparing personas and searching passages.

Most scripts separate words with spaces; Chinese and Japanese do not. :func:`words` splits
such runs into single characters (so a quote matches inside a sentence), :func:`terms` into
overlapping character pairs (which carry meaning the way words do elsewhere).
"""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = dict.fromkeys(map(ord, "'’‘ʼ`´"))
_WORD = re.compile(r"[^\W_]+")
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−", "-"))
_TOKEN = re.compile(r"[^\W_]+(?:(?<=\d)[.,:/-](?=\d)[^\W_]+)*|[%‰$€£¥₹¢]")
"""A word, where a number keeps the punctuation inside it (``15.5``, ``6:52``, ``1,200``,
``10-15``), or a percent or currency sign (``15%`` is not ``15``)."""
_UNSPACED = re.compile(
    "["
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\U00020000-\U0002fa1f"  # CJK extensions B and later
    "]+"
)
"""Runs of scripts written without spaces between words."""


def fold(text: str) -> str:
    """``text`` compared as people read it: compatibility forms unified, case and apostrophes
    dropped (``ｱ`` is ``ア``, ``Don’t`` is ``dont``)."""
    return unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)


def strip_accents(text: str) -> str:
    """``text`` without accents: compatibility-decomposed (NFKD) with the combining marks
    dropped (``Zoë`` is ``Zoe``). Compose it again (NFC) to show or match it as written."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The folded words of ``text`` as a quote is matched word for word: each character of an
    unspaced script is a word; a number keeps its inner punctuation, with every dash read as
    ``-`` (``15.5`` is neither ``15 5`` nor ``155``; ``6:52`` is not ``6 52``); percent and
    currency signs are words; other punctuation and spacing do not count."""
    found: list[str] = []
    for word in _TOKEN.findall(fold(text).translate(_DASHES)):
        found.extend(_split(word) if _UNSPACED.search(word) else (word,))
    return found


def unspaced(text: str) -> bool:
    """Whether ``text`` has characters of a script written without spaces (Chinese, Japanese)."""
    return _UNSPACED.search(text) is not None


def _split(word: str) -> list[str]:
    """A mixed word ("app予約") as its spaced parts and single unspaced characters."""
    parts: list[str] = []
    position = 0
    for run in _UNSPACED.finditer(word):
        if run.start() > position:
            parts.append(word[position : run.start()])
        parts.extend(run.group())
        position = run.end()
    if position < len(word):
        parts.append(word[position:])
    return parts


def terms(text: str) -> list[str]:
    """Meaningful units of ``text``: words, and character pairs of unspaced scripts."""
    found: list[str] = []
    for word in _WORD.findall(fold(text)):
        position = 0
        for run in _UNSPACED.finditer(word):
            if run.start() > position:
                found.append(word[position : run.start()])
            chars = run.group()
            found.extend(chars if len(chars) == 1 else _pairs(chars))
            position = run.end()
        if position < len(word):
            found.append(word[position:])
    return found


def _pairs(chars: str) -> list[str]:
    return [chars[i : i + 2] for i in range(len(chars) - 1)]
