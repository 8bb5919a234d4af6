"""Names the research data labels as names: speaker labels, name fields and headers.

Labels are parsed by their structure, not looked up in a list of names, so a name Persona
has never seen is found as surely as a common one:

- speaker labels at the start of a line, after an optional timestamp (``[00:01:02]``,
  ``0:03 -``) or Markdown (``**Maria:**``): ``Maria:``, ``MARIA:``, ``Dr. Okafor:``,
  ``Maria Gonzalez:``, ``P02 (Malik, 20, student):``, ``Malik (P02):``, ``P02 – Malik:``,
  ``Interviewer (Sam):``, ``[Malik]``, ``Malik  0:03`` (Otter), ``<v Malik>`` (WebVTT);
- headers such as ``Maria Gonzalez (34, nurse)`` or ``## Priya Nair (22, student)``;
- fields whose name says they hold a name: ``Name: Zoë``, ``Participant: Ana Ruiz``,
  ``user.first_name: Ana``, ``参加者：佐藤 美咲``.

A label with structure around it (a participant code, an age, a WebVTT voice) is a name
whenever it has the shape of one and is not a role ("Teacher", "Female"), whatever a
dictionary says ("Malik" is a word in Webster's too); after a role ("Interviewer (Sam)") it
must not be an ordinary word ("Interviewer (Probe)"). A bare label
(``Maria:``, ``[Maria]``) also has to be something the data never writes in lower case, so
"Update:" and "[laughs]" are not names, and either label at least two lines or be no
ordinary word ("Findings:" once is a heading); a bare label the data does write in lower
case ("Will:") counts when it labels at least two lines and the dictionary knows it as a name.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from pathlib import PurePath

from persona.core.documents import Passage
from persona.hybrid.entities import lowercase_vocabulary, proper_nouns
from persona.hybrid.name_words import has_a_name_word, is_generic, looks_like_name

_TABULAR = frozenset({".csv", ".tsv", ".json", ".jsonl", ".ndjson", ".xlsx", ".xls"})
_NAME_COLUMN = re.compile(
    r"(?:your |full |first |last |given |family |participant |respondent |interviewee |"
    r"customer |sur)?name|participant|respondent|interviewee"
    r"|teilnehmer(?:in)?|befragter?|vorname|nachname"  # German
    r"|nombre(?: completo)?|participante|entrevistad[oa]|apellidos?"  # Spanish
    r"|参加者|回答者|氏名|名前",  # Japanese
    re.IGNORECASE,
)
_MARKUP = r"^[ \t#>*_-]*"
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_PREFIX = re.compile(rf"{_MARKUP}(?:[\[(]?{_TIME}[\])]?\s*(?:[-–—|]\s*)?)?")
"""Markdown and a leading timestamp before a label."""
_VOICE = re.compile(r"<v(?:\.[^\s>]+)*\s+([^>\n]{1,80})>")
_BRACKET = re.compile(r"\[([^\]\n]{1,60})\]\s*:?")
_TIMED = re.compile(rf"([^\d:\n]{{1,60}}?)\s+[\[(]?{_TIME}[\])]?\s*$")
_COLON = re.compile(r"([^:\n]{1,100}?)[*_]*\s*:")
_HEADER = re.compile(r"([^()\n]{1,60}?)[*_]*\s*(\([^()\n]*\))[*_]*\s*:?\s*$")
_PARTS = re.compile(r"^(?P<head>[^()\[\]]*?)\s*(?:[(\[](?P<inner>[^()\[\]]*)[)\]])?$")
_CODE = re.compile(
    r"#?\s*(?![QT]\d)[A-Z]{1,3}[-_ ]?\d{1,4}|(?:participant|respondent|interviewee|speaker|user|"
    r"teilnehmer(?:in)?|participante|entrevistad[oa]|id)\s*#?\s*\d{1,4}|#\d{1,4}",
    re.IGNORECASE,
)
"""A participant code: ``P02``, ``R-7``, ``Participant 3``, ``#4`` (not a question or task
number such as ``Q3`` or ``T2``)."""
_AGE = re.compile(r"\d{1,3}\s*(?:years?(?: old)?|yrs?|y/?o|歳|jahre|años)?", re.IGNORECASE)
_TITLE = re.compile(
    r"^(?:dr|mr|mrs|ms|mx|miss|prof|sir|herr|frau|sr|sra|srta|dra|don|doña|mme|mlle|m)\.?\s+",
    re.IGNORECASE,
)
_FIELD = re.compile(rf"{_MARKUP}([^:;\n]{{1,40}}?)[*_]*\s*:[*_]*\s*([^;\n]*)")
_REPEATED = 2
"""Lines a bare label that is also an ordinary word must label to count as a name."""


def collect_names(passages: Iterable[Passage]) -> list[str]:
    """Participants' names from speaker labels, headers and name fields, in order found."""
    passages = list(passages)
    names: dict[str, None] = {}
    bare: Counter[str] = Counter()
    columns: set[str] = set()
    for passage in passages:
        text = unicodedata.normalize("NFKC", passage.text)  # full-width "：（" as ":("
        fields = _fields(text)
        for column, value in fields:
            candidate = re.split(r"[(,|/、]| - ", value, maxsplit=1)[0].strip(" *_\"'“”")
            if _NAME_COLUMN.fullmatch(_column_name(column)) and looks_like_name(
                candidate.title()  # a name column's value may be written in lower case
            ):
                names[" ".join(candidate.split())] = None
        tabular = PurePath(passage.source).suffix.casefold() in _TABULAR or _is_row(text)
        if tabular:
            columns.update(column.casefold() for column, _ in fields)
        for line in text.splitlines():
            found, structured = _line_names(line, colon=not tabular)
            if structured:
                names.update(dict.fromkeys(found))
            else:
                bare.update(found)
    lowercase = lowercase_vocabulary(p.text for p in passages) if bare else frozenset()
    for label, lines in bare.items():
        words = label.split()
        if label.casefold() in columns or not words[0][:1].isupper():
            continue
        if not any(w.casefold() in lowercase for w in words):
            if lines >= _REPEATED or has_a_name_word(label):
                names[label] = None
        elif lines >= _REPEATED and all(
            w in proper_nouns() for w in words if w.casefold() in lowercase
        ):
            names[label] = None
    return list(names)


def _line_names(line: str, *, colon: bool) -> tuple[list[str], bool]:
    """The names a line's label gives, and whether the label has structure around them."""
    if voice := _VOICE.search(line):
        return _label_names(voice.group(1), structured=True)
    prefix = _PREFIX.match(line)
    rest = line[prefix.end() :] if prefix else line
    labels = [
        match.group(1) + (f" {match.group(2)}" if pattern is _HEADER else "")
        for pattern in (_BRACKET, _HEADER, _TIMED, *((_COLON,) if colon else ()))
        if (match := pattern.match(rest))
    ]
    for label in labels:
        names, structured = _label_names(label, structured=False)
        if names:
            return names, structured
    return [], False


def _label_names(label: str, *, structured: bool) -> tuple[list[str], bool]:
    """``P02 (Malik, 20, student)`` → (["Malik"], True); ``Maria`` → (["Maria"], False)."""
    parts = _PARTS.match(" ".join(label.strip(" *_").split()))
    if parts is None:
        return [], False
    head = [p for p in re.split(r"\s+[-–—|]\s+|\s*[,|/]\s*", parts.group("head")) if p]
    inner = [p for p in re.split(r"\s*[,;|/、]\s*", parts.group("inner") or "") if p]
    coded = (
        structured
        or any(_CODE.fullmatch(p) for p in head + inner[:1])
        or any(_AGE.fullmatch(p) for p in inner)
    )
    candidates = [_TITLE.sub("", _title_case(p)) for p in head + inner[:1]]
    names = [c for c in candidates if looks_like_name(c)]
    if coded:
        return names, True
    if any(is_generic(p) for p in head):  # "Interviewer (Sam)", not "Interviewer (Probe)"
        return [n for n in names if has_a_name_word(n)], True
    return names, False


def _title_case(value: str) -> str:
    """``MARIA GONZALEZ`` → ``Maria Gonzalez``; anything else unchanged."""
    return value.title() if value.isupper() and len(value) > 1 else value


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
