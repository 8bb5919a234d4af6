"""Ordinary words, offline: what the name passes (:mod:`persona.hybrid.names`) never take
for a name.

Ordinary words are the lower-case entries of Webster's Second International and GCIDE
(shipped in the ``english-words`` package: no download at run time), simple inflections of
them (``kids``, ``children's``, ``ordered``), words the data itself writes in lower case
(:func:`lowercase_vocabulary`), and a short list of everyday words those dictionaries lack
(weekdays, months, ``app``, ``email``...). Dictionary entries written with a capital
("Anna", "Will") are :func:`proper_nouns`: names that are also words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from english_words import get_english_words_set


def word_set(text: str) -> frozenset[str]:
    """The words of ``text`` (a list written one word after another)."""
    return frozenset(text.split())


EVERYDAY = word_set(
    """monday tuesday wednesday thursday friday saturday sunday mondays tuesdays wednesdays
    thursdays fridays saturdays sundays weekend weekends january february march april may june
    july august september october november december
    app apps email emails e-mail e-mails online offline website websites web wifi internet
    smartphone smartphones tablet laptop login logout signup checkout chatbot chat chats
    okay ok hi hello hey bye yeah yep yes no nope hmm um uh ah oh wow thanks thank please
    sorry covid pandemic lockdown delivery deliveries groceries grocery supermarket
    spreadsheet spreadsheets screenshot screenshots notification notifications password
    passwords username dashboard feedback podcast podcasts selfie emoji emojis
    i i'm i've i'll i'd im ive ill id
    english french german spanish italian dutch polish portuguese chinese japanese korean
    indian british american european african asian arabic russian turkish greek swedish
    danish norwegian finnish irish scottish welsh canadian australian mexican brazilian
    blog blogs vlog euro euros cent cents pound pounds dollar dollars
    paid held women granola muesli pre re co non multi anti sub semi
    realise realised realising organise organised organising recognise recognised
    apologise apologised centre centres theatre theatres metre metres litre litres
    christmas easter ramadan diwali hanukkah eid thanksgiving
    mr mrs ms dr prof st"""
)
"""Everyday words (lower-cased) that the dictionaries lack or list only with a capital."""

TOKEN = re.compile(r"(?<![^\W\d_])[^\W\d_]+(?:['’][^\W\d_]+)*(?![^\W\d_])")
_CONTRACTIONS = ("n't", "'s", "'re", "'ve", "'ll", "'d", "'m", "s'", "'")
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("ies", "y"),
    ("ied", "y"),
    ("ier", "y"),
    ("iest", "y"),
    ("ily", "y"),
    ("es", ""),
    ("s", ""),
    ("ed", ""),
    ("ed", "e"),
    ("ing", ""),
    ("ing", "e"),
    ("er", ""),
    ("er", "e"),
    ("est", ""),
    ("ly", ""),
    ("ness", ""),
    ("ment", ""),
    ("ful", ""),
    ("less", ""),
    ("able", ""),
    ("able", "e"),
    ("d", ""),
)


@lru_cache(maxsize=1)
def _dictionary() -> tuple[frozenset[str], frozenset[str]]:
    webster = get_english_words_set(["web2"], lower=False, alpha=True)
    gcide = get_english_words_set(["gcide"], lower=False, alpha=True)
    return (
        frozenset(word for word in webster | gcide if word.islower()),
        # GCIDE capitalises its headwords; Webster's capitalises only proper nouns.
        frozenset(word for word in webster if word.istitle() and len(word) > 1),
    )


def dictionary_words() -> frozenset[str]:
    """Lower-case dictionary entries (about 215,000 words), loaded once."""
    return _dictionary()[0]


def proper_nouns() -> frozenset[str]:
    """Dictionary entries written with a capital ("Anna", "Tom", "Amazon"), loaded once."""
    return _dictionary()[1]


def _stem_candidates(word: str) -> Iterable[str]:
    """``word`` and what it may be an inflection of (British spellings tried as American)."""
    for form in dict.fromkeys((word, word.replace("our", "or"))):
        yield form
        for ending in _CONTRACTIONS:
            if form.endswith(ending) and len(form) > len(ending):
                yield form[: -len(ending)]
        for suffix, replacement in _SUFFIXES:
            if form.endswith(suffix) and len(form) - len(suffix) >= 2:
                base = form[: -len(suffix)] + replacement
                yield base
                if len(base) >= 3 and base[-1] == base[-2]:
                    yield base[:-1]  # "shopping" → "shopp" → "shop"


def is_ordinary(word: str, vocabulary: frozenset[str] | set[str] = frozenset()) -> bool:
    """Whether ``word`` (any case) is an ordinary word rather than a name."""
    folded = word.casefold().replace("’", "'")
    if len(folded) <= 1 or folded in EVERYDAY:
        return True
    if "-" in folded:
        return all(is_ordinary(part, vocabulary) for part in folded.split("-") if part)
    known = dictionary_words()
    return any(
        candidate in known or candidate in vocabulary or candidate in EVERYDAY
        for candidate in _stem_candidates(folded)
    )


_ADDRESS = re.compile(r"\S+@\S+|\b(?:https?://|www\.)\S+|\b(?:[\w-]+\.)+[a-z]{2,24}/\S*", re.I)


def lowercase_vocabulary(texts: Iterable[str]) -> frozenset[str]:
    """Every word the texts write in lower case (ordinary in this study), outside e-mail
    addresses and links (``p.nair@example.org`` does not make "nair" an ordinary word)."""
    return frozenset(
        token.casefold().replace("’", "'")
        for text in texts
        for token in TOKEN.findall(_ADDRESS.sub(" ", text))
        if token.islower()
    )


def mid_sentence(text: str, start: int) -> bool:
    """Whether a word starting at ``start`` follows another word of the same sentence."""
    before = text[max(start - 40, 0) : start].rstrip(" \t")
    if not before or before[-1] in '.!?:;\n"“”(*#>-–—[{':
        return False
    return re.search(r"[^\W\d_]['’]?[,]?$", before) is not None
