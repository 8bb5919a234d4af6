"""A fast, conservative token estimate for planning what fits in a model's context window.

No tokenizer is loaded: the count only has to be safely close. Tokenizers of local models
(byte-level BPE) split text by script very differently, so each kind of character is costed
on its own, rounding towards *more* tokens:

- ASCII letters: about four per token (English words);
- letters of other alphabets (accented Latin, Greek, Cyrillic, Hebrew, Arabic...): two per token;
- Chinese, Japanese, Korean, Indic, Thai and other scripts, emoji: one token each;
- digits: one token each (many tokenizers split numbers digit by digit);
- punctuation and symbols: one token each; line breaks one each; spaces ride along with words.

After the first model call the engine's own prompt count is known: :class:`Calibration`
scales later estimates by how far off this one was, so the rest of a run is planned on the
model's real tokenizer.
"""

from __future__ import annotations

import string
import threading
import unicodedata
from collections import Counter
from functools import lru_cache

MIN_CONTEXT = 2048
"""The smallest context Persona plans for, and that the built-in engine opens a model with."""
_DROP_LETTERS = str.maketrans("", "", string.ascii_letters)
_DROP_SPACES = str.maketrans("", "", " \t\r")
_TWO_PER_TOKEN = ("Lu", "Ll", "Lt", "Lm", "Mn", "Mc")
"""Letters of alphabets (and their combining marks)."""
_ALPHABETS = ("LATIN", "GREEK", "CYRILLIC", "ARMENIAN", "HEBREW", "ARABIC", "GEORGIAN", "COPTIC")


def estimate_tokens(text: str) -> int:
    """About how many tokens ``text`` is, erring high (see the module docstring).

    Any non-empty text counts as at least one token.
    """
    if not text:
        return 0
    if text.isascii():
        return _ascii_tokens(text)
    counts = Counter(text)
    ascii_part = "".join(c * n for c, n in counts.items() if c < "\x80")
    tokens = _ascii_tokens(ascii_part) if ascii_part else 0
    halves = 0
    for char, n in counts.items():
        if char >= "\x80":
            cost = _cost(char)
            tokens += n * (cost // 2)
            halves += n * (cost % 2)
    return max(1, tokens + -(-halves // 2))


@lru_cache(maxsize=8192)
def _cost(char: str) -> int:
    """Half-tokens for one non-ASCII character: 1 for an alphabet's letter, 0 for spaces,
    2 for anything else."""
    category = unicodedata.category(char)
    if category.startswith("Z"):
        return 0
    if category in _TWO_PER_TOKEN and unicodedata.name(char, "").startswith(_ALPHABETS):
        return 1
    return 2


def _ascii_tokens(text: str) -> int:
    without_letters = text.translate(_DROP_LETTERS)
    letters = len(text) - len(without_letters)
    rest = without_letters.translate(_DROP_SPACES)  # digits, punctuation, symbols, newlines
    return max(1, -(-letters // 4) + len(rest))


def scaled(estimate: int, factor: float) -> int:
    """``estimate`` times a calibration ``factor``, rounded up (staying on the safe side)."""
    return int(estimate * factor + 0.999)


class Calibration:
    """How the engine's real prompt counts compare with :func:`estimate_tokens`.

    ``factor`` starts at 1 and becomes the largest ratio real/estimated seen on a prompt of a
    useful size, so later estimates multiplied by it stay on the safe side. Thread-safe: the
    map phase records calls from several threads.
    """

    MIN_SAMPLE = 200
    """Prompts smaller than this many estimated tokens say too little to calibrate on."""

    def __init__(self) -> None:
        self.factor = 1.0
        self.samples = 0
        self._lock = threading.Lock()

    def record(self, estimated: int, reported: int | None) -> bool:
        """Learn from one call; True when the factor grew (plans may need redoing)."""
        if not reported or estimated < self.MIN_SAMPLE:
            return False
        ratio = reported / estimated
        with self._lock:
            self.samples += 1
            if ratio > self.factor * 1.02:
                self.factor = ratio
                return True
        return False

    def tokens(self, text: str) -> int:
        """The calibrated estimate for ``text``."""
        return self.scale(estimate_tokens(text))

    def scale(self, estimate: int) -> int:
        return scaled(estimate, self.factor)
