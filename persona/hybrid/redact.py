"""Personal data out before anything leaves the machine, and back in when the answer returns.

A :class:`Redactor` swaps file names, links, e-mail addresses, bank account and card
numbers, phone numbers and people's names for stable pseudonyms such as ``[PERSON_1]``: the
same value always gets the same pseudonym, so the frontier model can still tell people apart.
Its :attr:`Redactor.mapping` lives only in memory and must never be logged or stored.

:func:`redactor_for` builds one for a payload: names from speaker labels, name columns and
headers in the research files, the payload's own participants, and a named-entity pass over
every string of the payload (:mod:`persona.hybrid.entities`). :meth:`Redactor.redact_data`
then rewrites every string of the payload. Redacting and restoring never raise anything but
a :class:`~persona.core.errors.PersonaError`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from pathlib import PurePath
from typing import Any, TypeVar

from persona.core.documents import Passage
from persona.core.errors import PersonaError
from persona.generation.language import detect_language
from persona.hybrid import names as other_languages
from persona.hybrid.entities import find_names, lowercase_vocabulary, word_set

_T = TypeVar("_T")


KINDS: dict[str, tuple[str, str]] = {
    "FILE": ("file name", "file names"),
    "PERSON": ("name", "names"),
    "EMAIL": ("e-mail address", "e-mail addresses"),
    "PHONE": ("phone number", "phone numbers"),
    "URL": ("link", "links"),
    "CARD": ("card number", "card numbers"),
    "IBAN": ("bank account number", "bank account numbers"),
}
"""Pseudonym kinds and what the UI calls one or several of them."""

GENERIC_LABELS = word_set(
    """interviewer moderator facilitator researcher observer note notes q a i p question
    answer participant respondent interviewee speaker user customer client admin system bot
    assistant me you they we name date time location place summary comment comments context
    feedback observation session interview transcript topic theme task tasks background
    intro introduction quote quotes insight insights age role title email e-mail phone
    mobile contact team all anonymous anon unknown none n/a na redacted declined prefer not
    to say other
    interviewerin moderatorin teilnehmer teilnehmerin befragter befragte datum ort dauer
    notiz kontakt telefon entrevistador entrevistadora moderador moderadora participante
    entrevistado entrevistada fecha lugar duración nota contacto teléfono
    インタビュアー 司会 司会者 参加者 回答者 日付 場所 時間 メモ 連絡先 電話"""
)
"""Labels and values that are never a participant's name ("Interviewer:", "Q:", "n/a"), in
English, German, Spanish and Japanese."""

_AMBIGUOUS = word_set(
    """will may mark bill grace hope rose june april august faith joy pat sue rob art max ray
    dawn summer autumn amber ruby jack frank victor guy chance earl hunter miles young
    white brown black green gray grey long little king page bell hall wood stone rich love"""
)
"""Names that are also everyday words: on their own they are redacted only when capitalised."""
_PARTICLES = word_set("de da di du del der den la le van von bin al ben dos das st")
_TABULAR = frozenset({".csv", ".tsv", ".json", ".jsonl", ".ndjson", ".xlsx", ".xls"})

_URL = re.compile(
    r"\b(?:https?://|www\.)[^\s<>\"'\[\]]+|\b(?:[a-z0-9-]+\.)+[a-z]{2,24}/[^\s<>\"'\[\]]*",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"\b[\w.%+-]+@(?:[a-z0-9-]+\.)+[a-z]{2,24}\b", re.IGNORECASE)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_CARD = re.compile(r"(?<![\d+])(?:\d{4}([ -]?)\d{4}\1\d{4}\1\d{1,7}|\d{4}([ -]?)\d{6}\2\d{5})\b")
_PHONE = re.compile(
    r"(?<![\w.,+/-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,15}(?:[ .-]\d{1,15}){0,5}(?!\w)"
)
_US_PHONE = re.compile(r"\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}")
_DATE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")
_PHONE_WORD = re.compile(
    r"\b(?:phone|tel|telephone|mobile|cell|call|landline|whatsapp|fax|number|sms)\b"
    r"\W{0,3}(?:\w+\W{1,3}){0,2}$",
    re.IGNORECASE,
)
_URL_TRAILING = ".,;:!?)]}'\""

_KIND_NAMES = "|".join(KINDS)
_PSEUDONYM = re.compile(
    rf"[\[<{{(]\s*(?P<kind>{_KIND_NAMES})[\s_-]*(?P<number>\d+)\s*[\]>}})]"
    rf"|(?<!\w)(?P<bare_kind>{_KIND_NAMES})[_-]?(?P<bare_number>\d+)(?!\w)",
    re.IGNORECASE,
)

_NAME_COLUMN = re.compile(
    r"(?:your |full |first |last |given |family |participant |respondent |interviewee |"
    r"customer |sur)?name|participant|respondent|interviewee"
    r"|teilnehmer(?:in)?|befragter?|vorname|nachname"  # German
    r"|nombre(?: completo)?|participante|entrevistad[oa]|apellidos?"  # Spanish
    r"|参加者|回答者|氏名|名前",  # Japanese
    re.IGNORECASE,
)
_UNSPACED_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
"""Characters of scripts written without spaces (Chinese, Japanese)."""
_UNSPACED = re.compile(f"[{_UNSPACED_CHARS}]")
_NAME_WORD = rf"(?:[^\W\d_][\w'’-]*[^\W\d_]|[^\W\d_]\.|[{_UNSPACED_CHARS}]+)"
_NAME = rf"{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,3}}"
_MARKUP = r"^[ \t#>*_-]*"
_HEADER = re.compile(
    rf"{_MARKUP}({_NAME})[*_]*\s*"
    rf"\(\s*\d{{1,3}}\s*(?:years?(?: old)?|yrs?|y/?o)?\s*(?:[,;][^)\n]*)?\)",
    re.MULTILINE | re.IGNORECASE,
)
_SPEAKER = re.compile(rf"{_MARKUP}({_NAME})[*_]*\s*:", re.MULTILINE)
_FIELD = re.compile(rf"{_MARKUP}([^:;\n]{{1,40}}?)[*_]*\s*:[*_]*\s*([^;\n]*)")
_LETTERS = re.compile(r"[^\W\d_]+")


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _is_card(value: str, before: str) -> bool:
    digits = re.sub(r"\D", "", value)
    return 13 <= len(digits) <= 19 and _luhn(digits)


def _is_iban(value: str, before: str) -> bool:
    compact = value.replace(" ", "")
    return 15 <= len(compact) <= 34 and sum(c.isdigit() for c in compact) >= 10


def _is_phone(value: str, before: str) -> bool:
    """International (``+``), national (leading 0) and US formats; a shorter local number
    only right after a word such as "phone" or "call"."""
    digits = sum(c.isdigit() for c in value)
    if value.startswith("+"):
        return 8 <= digits <= 15
    if _US_PHONE.fullmatch(value) or (value.lstrip("(").startswith("0") and 9 <= digits <= 15):
        return True
    return 7 <= digits <= 15 and not _DATE.fullmatch(value) and bool(_PHONE_WORD.search(before))


def _always(value: str, before: str) -> bool:
    return True


_Check = Callable[[str, str], bool]
"""Whether a candidate (its text, the text just before it) really is personal data."""

_DETECTORS: tuple[tuple[str, re.Pattern[str], _Check], ...] = (
    ("URL", _URL, _always),
    ("EMAIL", _EMAIL, _always),
    ("IBAN", _IBAN, _is_iban),
    ("CARD", _CARD, _is_card),
    ("PHONE", _PHONE, _is_phone),
)
_NOT_LETTER_BEFORE = r"(?<![^\W\d_])"
_NOT_LETTER_AFTER = r"(?![^\W\d_])"
"""Name boundaries: digits and underscores separate words too (``01_maria_gonzalez.md``)."""


class RedactionError(PersonaError):
    """Personal data could not be hidden or put back; nothing was sent."""


def _guarded(what: str, action: Callable[[], _T]) -> _T:
    try:
        return action()
    except PersonaError:
        raise
    except Exception as exc:  # any library failure becomes a message with the next step
        raise RedactionError(
            f"Persona could not {what} ({type(exc).__name__}), so nothing was sent. Your "
            "drafts are kept: try again, or refine fewer personas at once."
        ) from exc


class Redactor:
    """Replaces personal data with pseudonyms and puts it back, consistently across calls."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._originals: dict[str, str] = {}
        self._pseudonyms: dict[tuple[str, str], str] = {}
        self._numbers: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._names: set[str] = set()
        self._exact_case: set[str] = set()
        self._files: set[str] = set()
        self._name_pattern: re.Pattern[str] | None = None
        self._file_pattern: re.Pattern[str] | None = None
        self.add_names(names)

    @property
    def mapping(self) -> dict[str, str]:
        """Pseudonym → original value. Keep it in memory; never log or store it."""
        return dict(self._originals)

    def add_names(self, names: Iterable[str], *, exact_case: bool = False) -> None:
        """Redact these full names and, on their own, their first and last names.

        Values with digits ("P3", "Participant 3") and generic labels are skipped. With
        ``exact_case`` only the capitalised form is replaced (names found by capital letters).
        """
        for raw in names:
            name = " ".join(raw.split()).strip(_URL_TRAILING + "(")
            if not name or _is_generic(name) or any(c.isdigit() for c in name):
                continue
            words = name.split()
            variants = {name, *(w for w in words if len(words) > 1 and _is_name_part(w))}
            variants |= {_fold_accents(v) for v in variants}
            new = variants - self._names
            self._names |= new
            if exact_case:
                self._exact_case |= new
        self._name_pattern = self._compile_names()

    def add_files(self, names: Iterable[str]) -> None:
        """Replace these file names, wherever they occur, by ``[FILE_n]``."""
        self._files |= {name for name in names if name.strip()}
        ordered = sorted(self._files, key=lambda n: (-len(n), n))
        self._file_pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def _compile_names(self) -> re.Pattern[str] | None:
        if not self._names:
            return None
        ordered = sorted(self._names, key=lambda n: (-len(n), n))
        spaced = "|".join(
            _name_regex(n, n in self._exact_case) for n in ordered if not _UNSPACED.search(n)
        )
        # Chinese and Japanese run words together: a name there has no word boundary.
        unspaced = "|".join(
            _name_regex(n, n in self._exact_case) for n in ordered if _UNSPACED.search(n)
        )
        options = [
            f"{_NOT_LETTER_BEFORE}(?:{spaced}){_NOT_LETTER_AFTER}" if spaced else "",
            unspaced,
        ]
        return re.compile("|".join(o for o in options if o))

    def reserve(self, texts: Iterable[str]) -> None:
        """Never hand out a pseudonym that already occurs in ``texts`` (data that was
        anonymised before, "[PERSON_1]"), so restoring cannot turn it into someone's name."""
        for text in texts:
            for match in _PSEUDONYM.finditer(text):
                kind = (match.group("kind") or match.group("bare_kind")).upper()
                number = int(match.group("number") or match.group("bare_number"))
                self._numbers[kind] = max(self._numbers[kind], number)

    def redact(self, text: str) -> str:
        """``text`` with every personal value replaced by its pseudonym."""
        return _guarded("hide personal data", lambda: self._redact(text))

    def _redact(self, text: str) -> str:
        if self._file_pattern is not None:
            text = self._file_pattern.sub(lambda m: self._pseudonym("FILE", m.group()), text)
        for kind, pattern, check in _DETECTORS:
            text = pattern.sub(partial(self._replace, kind, check=check), text)
        if self._name_pattern is not None:
            text = self._name_pattern.sub(
                lambda m: self._pseudonym("PERSON", _one_spelling(m.group())), text
            )
        return text

    def _replace(self, kind: str, match: re.Match[str], check: _Check) -> str:
        found = match.group()
        value = found.rstrip(_URL_TRAILING) if kind == "URL" else found
        if not check(value, match.string[max(match.start() - 40, 0) : match.start()]):
            return found
        return self._pseudonym(kind, value) + found[len(value) :]

    def _pseudonym(self, kind: str, value: str) -> str:
        key = (kind, value)
        if key not in self._pseudonyms:
            self._numbers[kind] += 1
            pseudonym = f"[{kind}_{self._numbers[kind]}]"
            self._pseudonyms[key] = pseudonym
            self._originals[pseudonym] = value
        return self._pseudonyms[key]

    def restore(self, text: str) -> str:
        """Put the originals back, also where the model reformatted a pseudonym."""
        return _guarded("put personal data back", lambda: self._restore(text))

    def _restore(self, text: str) -> str:
        def original(match: re.Match[str]) -> str:
            pseudonym = self._canonical(match)
            return self._originals.get(pseudonym, match.group()) if pseudonym else match.group()

        return _PSEUDONYM.sub(original, text)

    @staticmethod
    def _canonical(match: re.Match[str]) -> str:
        kind = match.group("kind") or match.group("bare_kind")
        number = match.group("number") or match.group("bare_number")
        return f"[{kind.upper()}_{int(number)}]"

    def redact_data(self, data: _T) -> _T:
        """A copy of JSON-like ``data`` with every string (keys included) redacted."""
        return _guarded("hide personal data", lambda: _map_strings(data, self._redact))

    def restore_data(self, data: _T) -> _T:
        """A copy of JSON-like ``data`` with every pseudonym in every string restored."""
        return _guarded("put personal data back", lambda: _map_strings(data, self._restore))

    def segments(self, text: str) -> Iterator[tuple[str, bool]]:
        """``text`` cut into pieces, each flagged when it is one of this redactor's pseudonyms."""
        position = 0
        for match in _PSEUDONYM.finditer(text):
            if match.group() not in self._originals:
                continue
            if match.start() > position:
                yield text[position : match.start()], False
            yield match.group(), True
            position = match.end()
        if position < len(text):
            yield text[position:], False

    def counts(self, texts: Iterable[str] | None = None) -> dict[str, int]:
        """Distinct values replaced, by what the UI calls them (``{"names": 2}``): in
        ``texts`` when given (what is actually sent), else in everything redacted so far."""
        if texts is None:
            used = set(self._originals)
        else:
            used = {piece for text in texts for piece, hidden in self.segments(text) if hidden}
        numbers = {kind: 0 for kind in KINDS}
        for pseudonym in used:
            numbers[pseudonym[1:].rsplit("_", 1)[0]] += 1
        return {KINDS[kind][0 if n == 1 else 1]: n for kind, n in numbers.items() if n}


def _fold_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def _one_spelling(name: str) -> str:
    """A name as one pseudonym stands for it: "佐藤 美咲" and "佐藤美咲" are the same person."""
    return "".join(name.split()) if _UNSPACED.search(name) else name


def _name_regex(name: str, exact_case: bool) -> str:
    """Case-insensitive, unless found by its capitals or every word is also an everyday
    word ("Will", "Grace"). Names in unspaced scripts match with or without the space
    ("佐藤 美咲", "佐藤美咲")."""
    words = name.split()
    pattern = (r"\s*" if _UNSPACED.search(name) else r"\s+").join(map(re.escape, words))
    if exact_case or all(w.casefold() in _AMBIGUOUS for w in words):
        return pattern
    return f"(?i:{pattern})"


def _is_generic(value: str) -> bool:
    return all(word.casefold() in GENERIC_LABELS for word in value.split())


def _is_name_part(word: str) -> bool:
    bare = word.strip(".")
    return (
        len(bare) >= 2
        and all(_LETTERS.fullmatch(piece) for piece in re.split(r"['’-]", bare))
        and bare.casefold() not in _PARTICLES | GENERIC_LABELS
    )


def _map_strings(data: Any, change: Callable[[str], str]) -> Any:
    if isinstance(data, str):
        return change(data)
    if isinstance(data, list | tuple):
        return [_map_strings(item, change) for item in data]
    if isinstance(data, dict):
        return {change(str(k)): _map_strings(v, change) for k, v in data.items()}
    return data


def strings(data: Any) -> Iterator[str]:
    """Every string in JSON-like ``data``, keys included."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, list | tuple):
        for item in data:
            yield from strings(item)
    elif isinstance(data, dict):
        for key, value in data.items():
            yield str(key)
            yield from strings(value)


def redactor_for(
    passages: Iterable[Passage], payloads: Sequence[Any], language: str | None = None
) -> Redactor:
    """A redactor for ``payloads`` (JSON-like data about to be sent), built from the payloads
    themselves and the research files they come from.

    Names come from speaker labels, name columns and headers in ``passages``, from every
    ``participants`` list in the payloads, and from a named-entity pass over every string of
    the payloads in the study's ``language`` (detected from ``passages`` when not given:
    :mod:`persona.hybrid.names` for German, Spanish and other languages it knows, else
    :mod:`persona.hybrid.entities`); every file name of ``passages`` is hidden too.
    """

    def build() -> Redactor:
        sources = list(passages)
        texts = [text for payload in payloads for text in strings(payload)]
        redactor = Redactor()
        redactor.reserve(texts)
        redactor.add_files({p.source for p in sources})
        redactor.add_names(collect_names(sources))
        redactor.add_names(
            name
            for payload in payloads
            if isinstance(payload, dict)
            for name in payload.get("participants") or []
            if isinstance(name, str)
        )
        vocabulary = lowercase_vocabulary([*(p.text for p in sources), *texts])
        study = language or detect_language(sources).language
        if study in other_languages.LANGUAGES:
            found = other_languages.find_names_in(texts, vocabulary, study)
        else:
            found = find_names(texts, vocabulary)
        redactor.add_names(found, exact_case=True)
        return redactor

    return _guarded("find the personal data to hide", build)


def looks_like_name(value: str) -> bool:
    """One to four capitalised words of letters that are not a generic label."""
    value = " ".join(value.split())
    return (
        re.fullmatch(_NAME, value) is not None
        and all(word[0].isupper() for word in value.split())
        and not _is_generic(value)
    )


def collect_names(passages: Iterable[Passage]) -> list[str]:
    """Participants' names from name columns, transcript headers and speaker labels.

    Survey columns such as Name, Full name, Participant or Respondent; headers such as
    "Participant: Maria Gonzalez (34, nurse)" or "Maria Gonzalez (34, nurse):"; and speaker
    labels such as "Maria:" at the start of a line. A speaker label counts only when it never
    appears in lower case in the data, so "Update:" is not mistaken for a name.
    """
    passages = list(passages)
    names: dict[str, None] = {}
    labels: dict[str, None] = {}
    columns: set[str] = set()
    for passage in passages:
        text = unicodedata.normalize("NFKC", passage.text)  # full-width "：（" as ":("
        fields = _fields(text)
        for column, value in fields:
            candidate = re.split(r"[(,|/]| - ", value, maxsplit=1)[0].strip(" *_\"'“”")
            if _NAME_COLUMN.fullmatch(_column_name(column)) and _is_plain_name(candidate):
                names[" ".join(candidate.split())] = None
        for match in _HEADER.finditer(text):
            if looks_like_name(match.group(1)):
                names[" ".join(match.group(1).split())] = None
        if PurePath(passage.source).suffix.casefold() in _TABULAR or _is_row(text):
            columns.update(column.casefold() for column, _ in fields)
        else:
            labels.update((" ".join(m.group(1).split()), None) for m in _SPEAKER.finditer(text))
    lowercase = lowercase_vocabulary(p.text for p in passages) if labels else frozenset()
    for label in labels:
        words = label.split()
        if (
            looks_like_name(label)
            and label.casefold() not in columns
            and not any(w.casefold() in lowercase for w in words)
        ):
            names[label] = None
    return list(names)


def _fields(text: str) -> list[tuple[str, str]]:
    """``Column: value`` pairs, several per line when separated by semicolons."""
    return [pair for line in text.splitlines() for pair in _line_fields(line)]


def _line_fields(line: str) -> list[tuple[str, str]]:
    matches = (_FIELD.match(part) for part in line.split(";"))
    return [(m.group(1).strip(), m.group(2).strip()) for m in matches if m]


def _is_row(text: str) -> bool:
    """A survey row ("Column: value; Column: value"), not transcript lines."""
    return any(len(_line_fields(line)) > 1 for line in text.splitlines())


def _column_name(column: str) -> str:
    """ "participant_name" → "participant name"; "user.name" → "name"."""
    return " ".join(re.split(r"[\s_-]+", column.rsplit(".", 1)[-1])).strip()


def _is_plain_name(value: str) -> bool:
    """A name column's value: words of letters, not "n/a", "Anonymous" or an ID."""
    value = " ".join(value.split())
    return re.fullmatch(_NAME, value) is not None and not _is_generic(value)
