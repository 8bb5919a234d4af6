"""Which words can be a person's name: their shape, and what the dictionary says of them.

:func:`looks_like_name` says whether a word or phrase has the shape of a name;
:func:`has_a_name_word` whether it is more than ordinary words. Finding names in the data
uses these: :mod:`persona.hybrid.labels` (names the data labels as names) and
:mod:`persona.hybrid.names` (names in running text, and every name to hide).
"""

from __future__ import annotations

import re

from persona.hybrid.entities import EVERYDAY, is_ordinary, proper_nouns, word_set

GENERIC_LABELS = word_set(
    """interviewer moderator facilitator researcher observer note notes q a i p question
    answer participant respondent interviewee speaker user customer client admin system bot
    assistant me you they we name date time location place summary comment comments context
    feedback observation session interview transcript topic theme task tasks background
    intro introduction quote quotes insight insights age role title email e-mail phone
    mobile contact team all anonymous anon unknown none n/a na redacted declined prefer not
    to say other male female man woman non-binary nonbinary student unemployed retired
    teacher nurse doctor engineer designer developer manager parent mother father mum dad
    retiree pensioner freelancer caregiver carer driver pharmacist shopper guest host
    interviewerin moderatorin teilnehmer teilnehmerin befragter befragte datum ort dauer
    notiz kontakt telefon entrevistador entrevistadora moderador moderadora participante
    entrevistado entrevistada fecha lugar duración nota contacto teléfono
    インタビュアー 司会 司会者 参加者 回答者 日付 場所 時間 メモ 連絡先 電話"""
)
"""Labels and values that are never a participant's name ("Interviewer:", "Q:", "n/a",
"Female"), in English, German, Spanish and Japanese."""

PARTICLES = word_set("de da di du del der den la le van von bin binti al el ben dos das st ní ó")
"""Little words inside a name ("Anne-Marie van Dijk"), never a name on their own."""


UNSPACED_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
"""Characters of scripts written without spaces (Chinese, Japanese)."""
UNSPACED = re.compile(f"[{UNSPACED_CHARS}]")

_INNER_CAPITAL = re.compile(r"(?:Mc|Mac|O['’]|D['’])[A-Z][a-z]")
"""Mc/Mac/O'/D' names keep one inner capital: McDonald, O'Neil, D'Souza."""
_INITIAL = re.compile(r"[^\W\d_]\.")
_MAX_WORDS = 4


def is_generic(value: str) -> bool:
    """A label or placeholder rather than a name: every word is one ("Interviewer", "n/a")."""
    return all(word.casefold() in GENERIC_LABELS for word in value.split())


def name_word(word: str) -> bool:
    """``Priya``, ``O'Neil``, ``Al-Farsi``, ``Siobhán``, ``J.``, ``美咲``; not ``UX``, ``PhD``."""
    if _INITIAL.fullmatch(word):
        return True
    if UNSPACED.search(word):
        return word.isalpha()
    parts = word.split("-")
    return all(name_part(p) or p.casefold() in PARTICLES for p in parts) and name_part(parts[-1])


def name_part(part: str) -> bool:
    """One capitalised word of a name (``Priya``, ``O'Neil``, ``McDonald``); not ``UX``."""
    if not re.fullmatch(r"[^\W\d_]+(?:['’][^\W\d_]+)?", part) or len(part) < 2:
        return False
    if not part[0].isupper():
        return False
    inner = sum(c.isupper() for c in part[1:])
    return inner == 0 or (inner == 1 and _INNER_CAPITAL.match(part) is not None)


def looks_like_name(value: str) -> bool:
    """One to four name-shaped words ("Maria Gonzalez", "Nguyen Thi Lan", "Mohammed
    Al-Farsi"), little words such as "van" allowed between them, and not a generic label."""
    words = value.split()
    if not words or is_generic(value):
        return False
    named = [w for w in words if not (w.islower() and w in PARTICLES)]  # "Van Nguyen" is named
    return (
        1 <= len(named) <= _MAX_WORDS
        and all(name_word(w) for w in named)
        and words[0] is named[0]
        and words[-1] is named[-1]
    )


def has_a_name_word(name: str) -> bool:
    """Not only ordinary words: "Okafor", "Tom" (a name the dictionary knows); not
    "Findings" or "Monday"."""
    return any(
        not is_ordinary(word) or (word in proper_nouns() and word.casefold() not in EVERYDAY)
        for word in name.split()
    )
