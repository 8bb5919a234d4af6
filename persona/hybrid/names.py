"""People's names in running text, without mistaking ordinary words for them.

:func:`looks_like_name` says whether a word or phrase has the shape of a name;
:func:`find_names` finds names in every string of a payload, in the study's language.
Names that the data *labels* as names (speaker labels, name columns, headers) are found
structurally by :mod:`persona.hybrid.labels`.

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
from collections.abc import Callable, Iterable
from functools import lru_cache

from persona.chat.retrieval import stop_words
from persona.hybrid.entities import (
    EVERYDAY,
    TOKEN,
    is_ordinary,
    mid_sentence,
    proper_nouns,
    word_set,
)

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

CUES = word_set(
    """mr mrs ms miss dr prof sir madam my our his her their your named called
    daughter son wife husband partner girlfriend boyfriend mum mom dad mother father sister
    brother aunt uncle niece nephew cousin grandson granddaughter grandma grandpa grandmother
    grandfather friend friends colleague colleagues neighbour neighbor boss manager flatmate
    roommate nurse doctor teacher driver carer caregiver"""
)
"""Words after which a capitalised word is a person ("my daughter Anna", "Dr Okafor")."""

UNSPACED_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
"""Characters of scripts written without spaces (Chinese, Japanese)."""
UNSPACED = re.compile(f"[{UNSPACED_CHARS}]")

_INNER_CAPITAL = re.compile(r"(?:Mc|Mac|O['’]|D['’])[A-Z][a-z]")
"""Mc/Mac/O'/D' names keep one inner capital: McDonald, O'Neil, D'Souza."""
_INITIAL = re.compile(r"[^\W\d_]\.")
_MAX_WORDS = 4

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


def is_generic(value: str) -> bool:
    """A label or placeholder rather than a name: every word is one ("Interviewer", "n/a")."""
    return all(word.casefold() in GENERIC_LABELS for word in value.split())


def _name_word(word: str) -> bool:
    """``Priya``, ``O'Neil``, ``Al-Farsi``, ``Siobhán``, ``J.``, ``美咲``; not ``UX``, ``PhD``."""
    if _INITIAL.fullmatch(word):
        return True
    if UNSPACED.search(word):
        return word.isalpha()
    parts = word.split("-")
    return all(_name_part(p) or p.casefold() in PARTICLES for p in parts) and _name_part(parts[-1])


def _name_part(part: str) -> bool:
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
        and all(_name_word(w) for w in named)
        and words[0] is named[0]
        and words[-1] is named[-1]
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
    if not _name_part(token) or is_generic(token):
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
            _name_part(token)
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
