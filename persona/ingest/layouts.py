"""Survey-tool layouts: the extra header rows and columns of Qualtrics, SurveyMonkey and
Google Forms exports, recognised so that they are never read as answers.

Qualtrics puts a row of question texts under the short names, then a row of
``{"ImportId": ...}``; SurveyMonkey puts a row of answer labels (``Response``,
``Open-Ended Response`` or each option of a multiple-choice question) under the questions,
and a question spans its options' columns, so its text is in the first of them only; Google
Forms starts with a ``Timestamp`` column.
"""

from __future__ import annotations

import re
from typing import Literal

Layout = Literal["", "Qualtrics", "SurveyMonkey", "Google Forms"]

TIMESTAMPS = frozenset(
    {
        "timestamp",
        "time stamp",
        "marca temporal",
        "horodateur",
        "horodatage",
        "zeitstempel",
        "carimbo de data/hora",
        "informazioni cronologiche",
        "tijdstempel",
        "sygnatura czasowa",
        "отметка времени",
        "タイムスタンプ",
    }
)
"""Google Forms' first column, in the languages it is exported in."""
_IMPORT_ID = re.compile(r'^\{\s*"ImportId"\s*:')
_SURVEYMONKEY_IDS = frozenset({"respondent id", "collector id"})
"""SurveyMonkey's first metadata columns, empty in its row of answer labels."""
_SURVEYMONKEY_LABELS = frozenset(
    {
        "response",
        "open-ended response",
        "open ended response",
        "antwort",
        "offene antwort",
        "respuesta",
        "respuesta abierta",
        "réponse",
        "réponse ouverte",
    }
)
"""SurveyMonkey's answer labels that mean "the question's answer" (English, German, Spanish,
French exports); any other label names an option or a matrix row."""
_SURVEYMONKEY_OTHER = "other (please specify)"
LABEL_JOIN = " — "
"""Between a SurveyMonkey question and the option or row its column holds."""


def normalized_header(name: str) -> str:
    """A column name compared with known names: lower case, ``_`` as a space, spaces tidied."""
    return " ".join(name.replace("_", " ").split()).casefold()


def detect_layout(
    header: list[str], body: list[tuple[int, list[str]]], width: int
) -> tuple[Layout, list[str], list[str], list[tuple[int, list[str]]]]:
    """The survey tool that exported a table with ``header`` over the rows ``body`` (each
    ``width`` cells at most): its layout, the column names, the question of each column and
    the answer rows (the tool's extra header rows left out)."""
    if len(body) >= 2 and _is_import_id_row(body[1][1]):
        return "Qualtrics", header, _pad(body[0][1], width), body[2:]
    if len(body) >= 1 and _is_qualtrics_question_row(header, body[0][1]):
        return "Qualtrics", header, _pad(body[0][1], width), body[1:]
    if len(body) >= 1 and _is_surveymonkey_label_row(header, body[0][1]):
        names = _surveymonkey_names(header, _pad(body[0][1], width))
        return "SurveyMonkey", names, list(names), body[1:]
    if header and normalized_header(header[0]) in TIMESTAMPS:
        return "Google Forms", header, list(header), body
    return "", header, list(header), body


def layout_note(layout: Layout) -> str:
    """What Persona tells the user it did with a recognised layout."""
    skipped = {
        "Qualtrics": "its question-text and import-ID header rows are not answers",
        "SurveyMonkey": "its second header row (answer labels) is not answers; columns are "
        "named by their question and option",
        "Google Forms": "its Timestamp column is ignored",
    }
    return f"recognised a {layout} export: {skipped.get(layout, '')}"


def _is_import_id_row(cells: list[str]) -> bool:
    filled = [c for c in cells if c]
    return bool(filled) and sum(bool(_IMPORT_ID.match(c)) for c in filled) * 2 > len(filled)


def _is_qualtrics_question_row(header: list[str], cells: list[str]) -> bool:
    """Legacy Qualtrics exports: ``ResponseId`` (or ``V1``) over ``Response ID``."""
    folded = [normalized_header(h) for h in header]
    for name, text in (("responseid", "response id"), ("v1", "responseid")):
        if name in folded:
            index = folded.index(name)
            return index < len(cells) and normalized_header(cells[index]) == text
    return False


def _is_surveymonkey_label_row(header: list[str], cells: list[str]) -> bool:
    """SurveyMonkey's second header row: empty under ``Respondent ID`` and ``Collector ID``
    and labels elsewhere; without those columns, mostly its standard labels."""
    filled = [c for c in cells if c]
    if not filled:
        return False
    marked = [i for i, h in enumerate(header) if normalized_header(h) in _SURVEYMONKEY_IDS]
    if marked:
        return all(i >= len(cells) or not cells[i] for i in marked)
    known = _SURVEYMONKEY_LABELS | {_SURVEYMONKEY_OTHER}
    return sum(normalized_header(c) in known for c in filled) * 2 > len(filled)


def _surveymonkey_names(header: list[str], labels: list[str]) -> list[str]:
    """Column names from SurveyMonkey's two header rows: the question where the label is a
    plain "Response", else the question and the option or row (``Devices — Tablet``). A
    question spans its options' columns, so an empty header continues the one before."""
    names: list[str] = []
    question = ""
    for head, label in zip(header, labels, strict=True):
        label = " ".join(label.split())
        if head:
            question = head
        elif not label:
            question = ""
        if not label or (head and normalized_header(label) in _SURVEYMONKEY_LABELS):
            names.append(head)
        elif not question:
            names.append(label)
        else:
            names.append(f"{question}{LABEL_JOIN}{label}")
    return names


def _pad(cells: list[str], width: int) -> list[str]:
    return cells + [""] * (width - len(cells))
