"""Names in studies not written in English, without mistaking ordinary words for them.

The English pass (:mod:`persona.hybrid.entities`) takes a capitalised word that is not in an
English dictionary for a name; in German every noun is capitalised ("Ersatzprodukte",
"Lieferfenster"), and in Spanish every sentence starts with a word the English dictionary
lacks ("También"), so that pass would hide half the study. Here a capitalised word is a name
only when

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

Speaker labels, name columns and headers are found separately, in every language
(:func:`persona.hybrid.redact.collect_names`).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from functools import lru_cache

from persona.generation.retrieval import stop_words
from persona.hybrid.entities import (
    TOKEN,
    is_ordinary,
    looks_like_a_name,
    mid_sentence,
    word_set,
)

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
"""The languages this pass is for; other studies go through the English pass."""
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
_CUES: dict[str, frozenset[str]] = {
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


def find_names_in(
    texts: Iterable[str], vocabulary: frozenset[str] | set[str], language: str
) -> list[str]:
    """Names in ``texts`` written in ``language`` (not English), in order of appearance;
    a first and last name together are also returned joined ("Anna Schmidt")."""
    first_names, last_names = known_names(language)
    little = stop_words(language)
    cues = _CUES.get(language, _TITLES)
    nouns = language in NOUNS_CAPITALISED
    found: dict[str, None] = {}
    for text in texts:
        run: list[str] = []
        previous_end = -1
        previous = ""
        for match in TOKEN.finditer(text):
            token = match.group().rstrip("'’")
            folded = token.casefold()
            before, previous = previous, folded
            adjacent = bool(run) and text[previous_end : match.start()].strip() == ""
            plain = (
                looks_like_a_name(token)
                and folded not in little
                and folded not in vocabulary
                and folded not in _CALENDAR
            )
            name = plain and (
                (token in first_names and not (nouns and before in _ARTICLES))
                or before in cues
                or (adjacent and (token in last_names or (not nouns and not is_ordinary(token))))
                or (
                    not nouns
                    and mid_sentence(text, match.start())
                    and not is_ordinary(token, vocabulary)
                )
            )
            if not name:
                run, previous_end = [], -1
                continue
            found[token] = None
            run = [*run, token] if adjacent else [token]
            if len(run) > 1:
                found[" ".join(run)] = None
            previous_end = match.end()
    return list(found)
