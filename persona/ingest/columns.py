"""The columns of a survey table, the role each plays, and the passages they give.

Every column of a CSV, TSV or spreadsheet gets a role:

- ``answer``: free text a respondent wrote; each non-empty cell becomes a citable passage
  located ``row N, LABEL`` (see :mod:`persona.core.context`);
- ``id``: who answered (a response or respondent ID); it becomes ``Passage.participant``;
- ``private``: an identifier that must never reach any model, local or Claude (a name, an
  e-mail or street address, a phone number, a date of birth). It is in no passage; its values
  are kept in :attr:`~persona.core.documents.Document.identifiers` only so that redaction
  before the Hybrid step can hide them wherever else they occur;
- ``context``: what is known about the respondent (age, role, a rating, a closed question);
  one passage per row, ``row N``, that is never evidence (``citable=False``);
- ``ignore``: timestamps, survey-tool metadata, empty columns.

Roles are suggested from column names and values (:func:`suggest_role`) and can be changed
by the user (:mod:`persona.ingest.roles`). Survey-tool layouts are recognised
(:mod:`persona.ingest.layouts`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from persona.core.context import cell_locator
from persona.core.documents import Passage
from persona.core.errors import InputError
from persona.ingest.base import Parsed, numbered, plural
from persona.ingest.layouts import (
    TIMESTAMPS,
    Layout,
    detect_layout,
    layout_note,
    normalized_header,
)
from persona.ingest.roles import ColumnRole, TableChoice

SAMPLES = 3
"""Sample values shown per column."""
LABEL_CHARS = 24
"""A header up to this long names its column in locators (``row 4, Q5``); longer ones are
named by their letter (``row 4, column C``)."""
QUESTION_CHARS = 300
_SUGGEST_ROWS = 500
"""Rows looked at to suggest roles."""
_CLOSED_DISTINCT = 12

_ID_NAMES = (
    "responseid",
    "response id",
    "respondentid",
    "respondent id",
    "respondent",
    "participant",
    "participantid",
    "participant id",
    "participant code",
    "respondent code",
    "userid",
    "user id",
    "id",
    "uuid",
)
"""Respondent-ID column names (after lower-casing and ``_`` → space), best first."""

_PRIVATE = re.compile(
    r"(?:(?:your|full|first|last|given|family|middle|sur|fore|nick|display|user|participant"
    r"|respondent|interviewee|customer|contact|recipient|child'?s?|partner'?s?)\s?)?names?"
    r"|first|last|surname|forename|given names?|initials"
    r"|(?:vor|nach|familien|ruf)name|vollständiger name|nombre(?: completo| y apellidos?)?"
    r"|apellidos?|prénom|nom(?: de famille| complet)?|nome(?: completo)?|cognome|naam"
    r"|(?:your |contact |work )?e-?mail(?: address)?|e-?mail-?adresse|correo(?: electrónico)?"
    r"|courriel|(?:phone|mobile|cell|telephone)(?: number| no\.?)?|tel\.?|telefon(?:nummer)?"
    r"|handy(?:nummer)?|teléfono|móvil|(?:street |postal |home |mailing |full )?address"
    r"|street|post ?code|zip(?: ?code)?|postal code|anschrift|adresse|straße|plz|dirección"
    r"|código postal|date of birth|dob|birth ?date|birthday|geburtsdatum|fecha de nacimiento"
    r"|date de naissance|氏名|名前|メール(?:アドレス)?|電話番号|住所",
    re.IGNORECASE,
)
"""Column names of personal data that no model may see (after folding, see :func:`_fold`)."""
_WHO = frozenset({"participant", "respondent", "interviewee", "user", "customer", "person"})
"""Respondent columns that may hold a code ("P01") or a name ("Dana Smith")."""
_PERSON_NAME = re.compile(r"[A-ZÀ-ÖØ-Þ][^\W\d_]*(?:['’-][^\W\d_]+)*\.?")
_NAMED = 0.8
"""Share of a respondent column's values that must look like people's names to make it private."""

_METADATA = frozenset(
    {
        "startdate",
        "enddate",
        "status",
        "ipaddress",
        "ip address",
        "progress",
        "duration (in seconds)",
        "finished",
        "recordeddate",
        "recipientlastname",
        "recipientfirstname",
        "recipientemail",
        "externalreference",
        "externaldatareference",
        "locationlatitude",
        "locationlongitude",
        "distributionchannel",
        "userlanguage",
        "q recaptchascore",
        "collector id",
        "start date",
        "end date",
        "submitted at",
        "submit date (utc)",
        "start date (utc)",
        "network id",
        "token",
    }
)
"""Survey-tool metadata columns (Qualtrics, SurveyMonkey, Typeform): never research text."""

_DATE = re.compile(
    r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
    r"(?:\s*[AaPp][Mm])?(?:\s*(?:Z|[A-Z]{2,5}(?:[+-]\d{1,2}(?::?\d{2})?)?|[+-]\d{2}:?\d{2}))?)?$"
)
_NUMBER = re.compile(r"^[-+]?\d+(?:[.,]\d+)?%?$")


@dataclass(frozen=True)
class Column:
    """One column: its names, a few values and the role Persona suggests for it."""

    index: int
    key: str
    """Unique within the table: the header, with its letter added when the header repeats."""
    question: str
    """The question text: Qualtrics' second header row, else the header itself."""
    label: str
    """How locators name it: the header when short, else ``column C``."""
    samples: tuple[str, ...]
    filled: int
    suggested: ColumnRole
    reason: str


@dataclass
class Table:
    """A table read from a CSV/TSV file or one sheet of a workbook, before roles apply."""

    source: str
    sheet: str
    layout: Layout
    header_row: int
    """The spreadsheet row of the header (1-based)."""
    columns: list[Column]
    rows: list[tuple[int, list[str]]]
    """(spreadsheet row number, cells) of every answer row, header rows excluded."""
    warnings: list[str] = field(default_factory=list)

    def roles(self, choice: TableChoice | None = None) -> dict[str, ColumnRole]:
        """Each column's role: the user's choice where given, else the suggestion."""
        chosen = choice.roles if choice else {}
        return {c.key: chosen.get(c.key, c.suggested) for c in self.columns}

    def identifiers(self, choice: TableChoice | None = None) -> list[str]:
        """The distinct values of the ``private`` columns, in order: for redaction only."""
        roles = self.roles(choice)
        private = [c for c in self.columns if roles[c.key] == "private"]
        values = (_cell(cells, c) for _, cells in self.rows for c in private)
        return list(dict.fromkeys(value for value in values if value))


TableParsed = tuple[list[Passage], list[str], list[str]]
"""A table's passages, warnings and identifier values (:meth:`Table.identifiers`)."""

# --- reading a grid ------------------------------------------------------------------------


def build_table(
    source: str, grid: Iterable[tuple[int, Sequence[object]]], sheet: str = ""
) -> Table:
    """The table in ``grid`` ((row number, cells) of non-empty rows, header first).

    Recognises Qualtrics' and SurveyMonkey's extra header rows and names the columns;
    raises InputError when there is no header or no answer row.
    """
    rows = [(number, [_clean(c) for c in cells]) for number, cells in grid]
    rows = [(n, cells) for n, cells in rows if any(cells)]
    where = f"{source}" + (f" (sheet {sheet})" if sheet else "")
    if not rows:
        raise InputError(f"{where} has no text in it. Check that it is the right file.")
    header_row, header = rows[0]
    header = [" ".join(name.split()) for name in header]
    width = max(len(cells) for _, cells in rows)
    header = header + [""] * (width - len(header))
    layout, header, questions, body = detect_layout(header, rows[1:], width)
    if not body:
        raise InputError(
            f"{where} has a header row but no answers below it. "
            "Check that the export included the responses."
        )
    keys = _keys(header)
    columns = []
    for index in range(width):
        values = [cells[index] for _, cells in body[:_SUGGEST_ROWS] if index < len(cells)]
        values = [v for v in values if v]
        name = header[index] or f"column {column_letter(index)}"
        question = (questions[index] or name)[:QUESTION_CHARS]
        role, reason = suggest_role(name, values)
        label = name if len(name) <= LABEL_CHARS and "\n" not in name else ""
        columns.append(
            Column(
                index=index,
                key=keys[index],
                question=question,
                label=label or f"column {column_letter(index)}",
                samples=tuple(dict.fromkeys(v[:120] for v in values))[:SAMPLES],
                filled=sum(1 for _, cells in body if index < len(cells) and cells[index]),
                suggested=role,
                reason=reason,
            )
        )
    _one_id(columns)
    _some_answer(columns)
    return Table(source, sheet, layout, header_row, columns, body)


def table_passages(table: Table, choice: TableChoice | None = None, prefix: str = "") -> Parsed:
    """Passages of ``table`` under the chosen roles: questions and respondent context (not
    citable) and one citable passage per non-empty answer cell. ``prefix`` (``Sheet, ``)
    starts every locator, for workbooks with several sheets."""
    roles = table.roles(choice)
    unknown = sorted(set(choice.roles) - set(roles)) if choice else []
    answers = [c for c in table.columns if roles[c.key] == "answer"]
    if not answers:
        raise InputError(
            f"{table.source}: no column is marked as a free-text answer, so there is nothing "
            "to quote. Mark the columns holding what respondents wrote as 'answer'."
        )
    ids = [c for c in table.columns if roles[c.key] == "id"]
    about = [c for c in table.columns if roles[c.key] == "context"]
    passages = [Passage(table.source, prefix + c.label, c.question, citable=False) for c in answers]
    silent: list[int] = []
    for number, cells in table.rows:
        row = f"{prefix}row {number}"
        who = " ".join(_cell(cells, c) for c in ids if _cell(cells, c)) or row
        context = tuple((_short(c.question), _cell(cells, c)) for c in about)
        facts = "; ".join(f"{name}: {value}" for name, value in context if value)
        said = [(c, value) for c in answers if (value := _cell(cells, c))]
        if not said:
            silent.append(number)
            continue
        if facts:
            passages.append(
                Passage(table.source, row, facts, participant=who, citable=False, cells=context)
            )
        for column, value in said:
            locator = cell_locator(row, column.label)
            passages.append(
                Passage(table.source, locator, value, participant=who, question=column.question)
            )
    warnings = list(table.warnings)
    if table.layout:
        warnings.append(layout_note(table.layout))
    if unknown:
        warnings.append(
            f"no column named {', '.join(map(repr, unknown))}; "
            f"the columns are: {', '.join(c.key for c in table.columns)}"
        )
    if silent:
        warnings.append(
            f"{plural(len(silent), 'row')} without a free-text answer skipped "
            f"({numbered('row', silent)})"
        )
    if len(passages) == len(answers):
        raise InputError(
            f"{table.source}: the answer columns "
            f"({', '.join(c.key for c in answers)}) are empty in every row. "
            "Check which columns hold what respondents wrote."
        )
    return passages, warnings


# --- suggesting roles ----------------------------------------------------------------------


def suggest_role(name: str, values: Sequence[str]) -> tuple[ColumnRole, str]:
    """The role a column probably plays, and why (shown to the user)."""
    folded = normalized_header(name)
    if not values:
        return "ignore", "empty"
    if folded in TIMESTAMPS or folded in _METADATA:
        return "ignore", "survey-tool metadata"
    if _PRIVATE.fullmatch(_words(name)) or (folded in _WHO and _names_people(values)):
        return "private", "names or contact details of a person"
    distinct = len(set(values))
    if folded in _ID_NAMES and distinct == len(values):
        return "id", "a different value in every row"
    if all(_DATE.match(v) for v in values):
        return "ignore", "dates and times"
    if all(_NUMBER.match(v) for v in values):
        return "context", "numbers (a rating, a score or a count)"
    words = [len(v.split()) for v in values]
    mean = sum(words) / len(words)
    if distinct <= _CLOSED_DISTINCT and (distinct * 2 <= len(values) or mean < 4):
        return "context", "a few repeated values (a closed question)"
    if mean >= 4 or max(words) >= 8:
        return "answer", "free text"
    return "context", "short answers"


def _words(name: str) -> str:
    """A column name as words: ``firstName`` → ``first name``, ``e_mail`` → ``e mail``."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name.rsplit(".", 1)[-1])
    return " ".join(re.split(r"[\s_]+", spaced)).strip(" :?*")


def _names_people(values: Sequence[str]) -> bool:
    """Whether most values are people's names ("Dana Smith"), not codes ("P01")."""
    named = sum(
        1 <= len(v.split()) <= 4 and all(_PERSON_NAME.fullmatch(w) for w in v.split())
        for v in values
    )
    return named >= _NAMED * len(values)


def _one_id(columns: list[Column]) -> None:
    """Keep the best-named ID column as ``id``; the other candidates become context."""
    candidates = [c for c in columns if c.suggested == "id"]
    if len(candidates) < 2:
        return
    best = min(candidates, key=lambda c: _ID_NAMES.index(normalized_header(c.key)))
    for i, column in enumerate(columns):
        if column.suggested == "id" and column is not best:
            columns[i] = _with(column, "context", "another identifier")


def _some_answer(columns: list[Column]) -> None:
    """With no free-text column, the one with the longest text is the answer."""
    if any(c.suggested == "answer" for c in columns):
        return
    texts = [c for c in columns if c.suggested == "context" and c.samples]
    texts = [c for c in texts if not all(_NUMBER.match(v) for v in c.samples)]
    if texts:
        longest = max(texts, key=lambda c: sum(len(v) for v in c.samples) / len(c.samples))
        columns[longest.index] = _with(longest, "answer", "the longest text in the file")


def _with(column: Column, role: ColumnRole, reason: str) -> Column:
    return Column(
        column.index,
        column.key,
        column.question,
        column.label,
        column.samples,
        column.filled,
        role,
        reason,
    )


# --- helpers --------------------------------------------------------------------------------


def column_letter(index: int) -> str:
    """0 → ``A``, 25 → ``Z``, 26 → ``AA``, as spreadsheets name columns."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _keys(header: list[str]) -> list[str]:
    counts = Counter(header)
    return [
        (name or f"column {column_letter(i)}")
        + (f" ({column_letter(i)})" if name and counts[name] > 1 else "")
        for i, name in enumerate(header)
    ]


def _cell(cells: list[str], column: Column) -> str:
    return cells[column.index] if column.index < len(cells) else ""


def _clean(value: object) -> str:
    """A cell as text: numbers without a spurious ``.0``, dates in ISO form, spaces trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds").removesuffix(" 00:00:00")
    if isinstance(value, date | time):
        return value.isoformat()
    text = str(value).strip()
    return text.replace("\r\n", "\n") if "\r" in text else text


def _short(question: str, limit: int = 80) -> str:
    text = " ".join(question.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
