"""Finding people's names, the one place that does: every name to hide from a payload
(:func:`names_to_hide`), and names in running text without mistaking ordinary words for them
(:func:`find_names`).

Names come from three sources: what the research files *label* as names (speaker labels,
name columns, headers: :mod:`persona.hybrid.labels`), the payload's own ``participants``,
and a pass over every string of the payload in the study's language (below). What a name
looks like is :mod:`persona.hybrid.name_words`' concern.

English: a capitalised word is a name when its lower-case form is not an ordinary word
(:mod:`persona.hybrid.entities`). Acronyms (``UX``, ``NHS``) and words with inner capitals
(``PhD``, ``iPhone``) are not names. A name that is also a word ("Will", "Grace", "Anna")
is found when the dictionary lists it with a capital and it follows a cue ("my daughter
Anna", "Dr Will"), or stands inside a sentence while the study never writes it in lower case.

Other languages (:data:`LANGUAGES`): in German every noun is capitalised ("Lieferfenster"),
and in Spanish every sentence starts with a word the English dictionary lacks ("También"),
so the English rule would hide half the study. There a capitalised word is a name only when

- it is a known first name of the study's language (the person lists that ship with the
  ``faker`` package), and not a word the study writes in lower case, a little word of the
  language, a month or a weekday; in German also not after an article ("der Wolf", "im
  Ernst"), since German first names include nouns;
- or it follows a title or a word that introduces a name ("Herr Weber", "mi hija Lucía",
  "se llama Pedro");
- or it directly follows such a name and is a known last name ("Anna Schmidt"), or, in
  languages that write nouns in lower case, any capitalised word that is not ordinary
  ("Javier Ortega");
- or, in those languages, it stands capitalised inside a sentence, the study never writes it
  in lower case and it is no English word either (loanwords such as "App" are not names).

Consecutive names are also returned joined ("Priya Nair"), so a full name is replaced as one.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from persona.chat.retrieval import stop_words
from persona.core.documents import Passage
from persona.generation.language import detect_language
from persona.hybrid.entities import (
    EVERYDAY,
    TOKEN,
    is_ordinary,
    mid_sentence,
    proper_nouns,
    word_set,
)
from persona.hybrid.labels import collect_names
from persona.hybrid.name_words import is_generic, name_part

CUES = word_set(
    """mr mrs ms miss dr prof sir madam my our his her their your named called
    daughter son wife husband partner girlfriend boyfriend mum mom dad mother father sister
    brother aunt uncle niece nephew cousin grandson granddaughter grandma grandpa grandmother
    grandfather friend friends colleague colleagues neighbour neighbor boss manager flatmate
    roommate nurse doctor teacher driver carer caregiver"""
)
"""Words after which a capitalised word is a person ("my daughter Anna", "Dr Okafor")."""

_LOCALES: dict[str, tuple[str, ...]] = {
    "German": ("de_DE", "de_AT", "de_CH"),
    "Spanish": ("es_ES", "es_MX", "es_AR", "es_CO", "es_CL"),
    "French": ("fr_FR", "fr_BE", "fr_CA", "fr_CH"),
    "Italian": ("it_IT",),
    "Portuguese": ("pt_PT", "pt_BR"),
    "Dutch": ("nl_NL", "nl_BE"),
    "Swedish": ("sv_SE",),
    "Danish": ("da_DK",),
    "Polish": ("pl_PL",),
    "Turkish": ("tr_TR",),
}
LANGUAGES = frozenset(_LOCALES)
"""The languages with their own pass; other studies go through the English one."""
NOUNS_CAPITALISED = frozenset({"German"})
"""Languages that write every noun with a capital."""

_CALENDAR = word_set(
    """januar februar märz april mai juni juli august september oktober november dezember
    montag dienstag mittwoch donnerstag freitag samstag sonntag sonnabend
    ostern weihnachten pfingsten silvester
    enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre
    lunes martes miércoles jueves viernes sábado domingo navidad pascua"""
)
"""Months, weekdays and holidays, which German always and Spanish sometimes capitalises."""
_ARTICLES = word_set(
    """der die das den dem des ein eine einen einem einer eines kein keine keinen keinem
    keiner im am vom zum zur beim ins ans aufs diese dieser diesen diesem dieses jede jeder
    jeden jedem jedes welche welcher welchen"""
)
"""German words before a noun: a first name after one is a noun ("der Wolf")."""
_LANGUAGE_CUES: dict[str, frozenset[str]] = {
    "German": word_set("herr herrn frau fräulein dr prof namens heißt heiße heisst heisse"),
    "Spanish": word_set(
        """señor señora señorita sr sra srta don doña dr dra llamo llama llaman llamado
        llamada hija hijo marido mujer esposo esposa novio novia amigo amiga compañero
        compañera vecino vecina hermano hermana madre padre jefe jefa abuela abuelo tía tío
        prima primo"""
    ),
}
"""Words after which a capitalised word is a name. German relatives are not cues: the noun
after "meine Tochter" is as often a thing ("weil meine Tochter Gluten nicht verträgt")."""
_TITLES = word_set("dr prof")

_Test = Callable[[str, int, str, str, bool], bool]
"""Whether a word is a name: the text, where the word starts, the word (without a
possessive "'s"), the word before it (lower case), whether it directly follows a name."""


@dataclass(frozen=True)
class NamesToHide:
    """The names to replace in a payload: ``any_case`` wherever they occur, in any case;
    ``capitalised`` only where written with a capital (or all in capitals)."""

    any_case: list[str]
    capitalised: list[str]


def names_to_hide(
    passages: Sequence[Passage],
    payloads: Sequence[Any],
    texts: Sequence[str],
    vocabulary: frozenset[str] | set[str],
    language: str | None = None,
) -> NamesToHide:
    """Every name to hide in ``payloads`` (JSON-like data about to be sent; ``texts``: all
    their strings) read from ``passages``: names the files label as names and the payloads'
    ``participants``, then names in ``texts`` in the study's ``language`` (detected from
    ``passages`` when not given). A labelled name the study also writes in lower case
    ("Will", "Rose") and names found in running text are hidden only where capitalised.
    ``vocabulary`` holds the words the study writes in lower case
    (:func:`persona.hybrid.entities.lowercase_vocabulary`)."""
    labelled = [
        *collect_names(passages),
        *(
            name
            for payload in payloads
            if isinstance(payload, dict)
            for name in payload.get("participants") or []
            if isinstance(name, str)
        ),
    ]
    ordinary = {n for n in labelled if any(w.casefold() in vocabulary for w in n.split())}
    study = language or detect_language(passages).language or "English"
    return NamesToHide(
        [n for n in labelled if n not in ordinary],
        [*ordinary, *find_names(texts, vocabulary, study)],
    )


def find_names(
    texts: Iterable[str],
    vocabulary: frozenset[str] | set[str] = frozenset(),
    language: str = "English",
) -> list[str]:
    """Names in ``texts``, in order of appearance; consecutive ones also joined.

    ``vocabulary`` adds words known to be ordinary in this study (see
    :func:`persona.hybrid.entities.lowercase_vocabulary`); ``language`` picks the pass
    (:data:`LANGUAGES` have their own, any other language gets the English one).
    """
    if language in LANGUAGES:
        return _runs(texts, _LanguagePass(vocabulary, language).is_name)
    return _runs(
        texts, lambda text, start, token, _, __: _is_english_name(text, start, token, vocabulary)
    )


def _runs(texts: Iterable[str], is_name: _Test) -> list[str]:
    found: dict[str, None] = {}
    for text in texts:
        run: list[str] = []
        previous_end = -1
        previous = ""
        for match in TOKEN.finditer(text):
            token = re.sub(r"['’]s$", "", match.group().rstrip("'’"))
            before, previous = previous, token.casefold()
            adjacent = bool(run) and text[previous_end : match.start()].strip() == ""
            if not is_name(text, match.start(), token, before, adjacent):
                run, previous_end = [], -1
                continue
            found[token] = None
            run = [*run, token] if adjacent else [token]
            if len(run) > 1:
                found[" ".join(run)] = None
            previous_end = match.end()
    return list(found)


def _is_english_name(
    text: str, start: int, token: str, vocabulary: frozenset[str] | set[str]
) -> bool:
    if not name_part(token) or is_generic(token):
        return False
    if not is_ordinary(token, vocabulary):
        return True
    return (
        token in proper_nouns()
        and token.casefold() not in EVERYDAY
        and (
            _after_cue(text, start)
            or (token.casefold() not in vocabulary and mid_sentence(text, start))
        )
    )


def _after_cue(text: str, start: int) -> bool:
    """Whether the word at ``start`` follows a cue such as "my daughter" or "Dr"."""
    before = re.search(r"([^\W\d_]+)\.?[ \t]+$", text[max(start - 30, 0) : start])
    return before is not None and before.group(1).casefold() in CUES


class _LanguagePass:
    """The test for a study not written in English (see the module docstring)."""

    def __init__(self, vocabulary: frozenset[str] | set[str], language: str) -> None:
        self.first_names, self.last_names = known_names(language)
        self.little = stop_words(language)
        self.cues = _LANGUAGE_CUES.get(language, _TITLES)
        self.nouns = language in NOUNS_CAPITALISED
        self.vocabulary = vocabulary

    def is_name(self, text: str, start: int, token: str, before: str, adjacent: bool) -> bool:
        folded = token.casefold()
        plain = (
            name_part(token)
            and not is_generic(token)
            and folded not in self.little
            and folded not in self.vocabulary
            and folded not in _CALENDAR
        )
        name = plain and (
            (token in self.first_names and not (self.nouns and before in _ARTICLES))
            or before in self.cues
            or (
                adjacent
                and (token in self.last_names or (not self.nouns and not is_ordinary(token)))
            )
            or (
                not self.nouns
                and mid_sentence(text, start)
                and not is_ordinary(token, self.vocabulary)
            )
        )
        return bool(name)


@lru_cache(maxsize=16)
def known_names(language: str) -> tuple[frozenset[str], frozenset[str]]:
    """(first names, last names) of ``language``; empty when Persona has no list for it."""
    first: set[str] = set()
    last: set[str] = set()
    for locale in _LOCALES.get(language, ()):
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ImportError:  # a locale an older faker lacks: the others still count
            continue
        for attribute, found in (
            ("first_names", first),
            ("first_names_male", first),
            ("first_names_female", first),
            ("last_names", last),
        ):
            values = vars(provider).get(attribute)
            if isinstance(values, list | tuple | dict):
                found.update(str(name) for name in values)
    return frozenset(first), frozenset(last)
