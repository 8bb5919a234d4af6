"""A named-entity pass that runs offline: capitalised words that are not ordinary words.

A word written with a capital is taken for a name when its lower-case form is not an
ordinary word. Ordinary words are the lower-case entries of Webster's Second International
and GCIDE (shipped in the ``english-words`` package: no download at run time), simple
inflections of them (``kids``, ``children's``, ``ordered``), words the data itself writes in
lower case, and a short list of everyday words those dictionaries lack (weekdays, months,
``app``, ``email``...). Acronyms (``UX``, ``NHS``) and words with inner capitals (``PhD``,
``iPhone``) are not names. A name that is also an ordinary word ("Will", "Grace", "Anna")
is found when the dictionary also lists it with a capital and it follows a cue ("my
daughter Anna", "Dr Will"), or stands inside a sentence while the study never writes it in
lower case; and anywhere when the data labels it as a name: speaker labels, name
columns, headers (see :func:`persona.hybrid.redact.collect_names`).
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


CUES = word_set(
    """mr mrs ms miss dr prof sir madam my our his her their your named called
    daughter son wife husband partner girlfriend boyfriend mum mom dad mother father sister
    brother aunt uncle niece nephew cousin grandson granddaughter grandma grandpa grandmother
    grandfather friend friends colleague colleagues neighbour neighbor boss manager flatmate
    roommate nurse doctor teacher driver carer caregiver"""
)
"""Words after which a capitalised word is a person ("my daughter Anna", "Dr Okafor")."""


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


def looks_like_a_name(token: str) -> bool:
    """Capitalised, then lower case: ``Priya``, ``O'Neil``; not ``UX``, ``PhD``, ``iPhone``."""
    letters = [c for c in token if c.isalpha()]
    if len(letters) < 2 or not letters[0].isupper():
        return False
    rest = token[1:]
    inner_capitals = sum(c.isupper() for c in rest)
    if inner_capitals == 0:
        return True
    # Mc/Mac/O'/D' names keep one inner capital: McDonald, O'Neil, D'Souza.
    return inner_capitals == 1 and re.match(r"(?:Mc|Mac|O['’]|D['’])[A-Z][a-z]", token) is not None


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


def _after_cue(text: str, start: int) -> bool:
    """Whether the word at ``start`` follows a cue such as "my daughter" or "Dr"."""
    before = re.search(r"([^\W\d_]+)\.?[ \t]+$", text[max(start - 30, 0) : start])
    return before is not None and before.group(1).casefold() in CUES


def mid_sentence(text: str, start: int) -> bool:
    """Whether a word starting at ``start`` follows another word of the same sentence."""
    before = text[max(start - 40, 0) : start].rstrip(" \t")
    if not before or before[-1] in '.!?:;\n"“”(*#>-–—[{':
        return False
    return re.search(r"[^\W\d_]['’]?[,]?$", before) is not None


def find_names(
    texts: Iterable[str], vocabulary: frozenset[str] | set[str] = frozenset()
) -> list[str]:
    """Capitalised words in ``texts`` that are not ordinary words, in order of appearance.

    ``vocabulary`` adds words known to be ordinary in this study (see
    :func:`lowercase_vocabulary`). Consecutive candidates are also returned joined
    ("Priya Nair"), so a full name is replaced as one.
    """
    found: dict[str, None] = {}
    for text in texts:
        run: list[str] = []
        previous_end = -1
        for match in TOKEN.finditer(text):
            token = match.group().rstrip("'’")
            base = re.sub(r"['’]s$", "", token)
            candidate = looks_like_a_name(base) and (
                not is_ordinary(base, vocabulary)
                or (
                    base in proper_nouns()
                    and base.casefold() not in EVERYDAY
                    and (
                        _after_cue(text, match.start())
                        or (base.casefold() not in vocabulary and mid_sentence(text, match.start()))
                    )
                )
            )
            if candidate:
                found[base] = None
                gap = text[previous_end : match.start()] if previous_end >= 0 else ""
                if run and gap.strip() == "":
                    run.append(base)
                else:
                    run = [base]
                if len(run) > 1:
                    found[" ".join(run)] = None
                previous_end = match.end()
            else:
                run, previous_end = [], -1
    return list(found)
