"""A fast token estimate for planning what fits in a model's context window.

No tokenizer is loaded: the count only has to be close enough to budget with a margin.
English and other Latin-script text averages about four characters per token in the
tokenizers local models use; Chinese, Japanese and Korean characters are about one token each.
"""

from __future__ import annotations

import re

CHARS_PER_TOKEN = 4
"""Characters per token for text outside the CJK ranges."""

_CJK = re.compile(
    "["
    "\u1100-\u11ff"  # Hangul Jamo
    "\u3000-\u30ff"  # CJK punctuation, Hiragana, Katakana
    "\u3130-\u318f"  # Hangul compatibility Jamo
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff00-\uffef"  # full-width and half-width forms
    "\U00020000-\U0002fa1f"  # CJK extensions B and later
    "]"
)


def estimate_tokens(text: str) -> int:
    """About how many tokens ``text`` is: one per CJK character, one per 4 other characters.

    Rounds up, so any non-empty text counts as at least one token.
    """
    if text.isascii() or len(text.encode("cp1252", "ignore")) == len(text):
        return -(-len(text) // CHARS_PER_TOKEN)  # fast paths: no character can be CJK
    cjk = len(_CJK.findall(text))
    return cjk + -(-(len(text) - cjk) // CHARS_PER_TOKEN)
