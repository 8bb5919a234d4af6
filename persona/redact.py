"""Replace personal data with stable placeholders before anything leaves the machine.

`Redactor.redact` turns e-mail addresses, URLs, IBANs, card numbers, phone numbers and
participants' names into ``[EMAIL_1]``, ``[PERSON_2]``...; `Redactor.restore` puts the
originals back in what comes back. The mapping lives only in memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import PurePath
from typing import Any

from persona.documents import Passage
from persona.schema import Persona

KIND_LABELS = {
    "PERSON": "names",
    "EMAIL": "e-mail addresses",
    "PHONE": "phone numbers",
    "URL": "links",
    "CARD": "card numbers",
    "IBAN": "account numbers (IBAN)",
}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'()\[\]]+", re.IGNORECASE)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_CARD = re.compile(r"\b\d(?:[ -]?\d){12,18}\b")
_PHONE = re.compile(r"(?<![\w.,/])(?:\+|00)?\(?\d[\d ()./-]{5,}\d(?![\w/])")
_DATE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")
_PLACEHOLDER = re.compile(
    r"\[\s*(PERSON|EMAIL|PHONE|URL|CARD|IBAN)[ _-]?(\d+)\s*\]"
    r"|\b(PERSON|EMAIL|PHONE|URL|CARD|IBAN)_(\d+)\b",
    re.IGNORECASE,
)
_NAME = r"[A-ZÀ-ÖØ-Þ][\w'’-]+(?:\s+[A-ZÀ-ÖØ-Þ][\w'’-]+){0,3}"
_HEADER = re.compile(
    rf"^[\s#*>-]*(?:participant|interviewee|respondent|name|speaker)\s*[:\-]\s*\**({_NAME})",
    re.IGNORECASE,
)
_NAME_WITH_DETAILS = re.compile(rf"^[\s#*>-]*\**({_NAME})\s*\(\s*\d{{1,3}}\b[^)]*\)")
_SPEAKER = re.compile(rf"^[\s#*>-]*\**({_NAME})\**\s*:")
_NAME_COLUMNS = re.compile(
    r"^(?:full[ _]?name|first[ _]?name|last[ _]?name|surname|name|participant(?:[ _]name)?|"
    r"respondent(?:[ _]name)?|interviewee|contact)$",
    re.IGNORECASE,
)
GENERIC_LABELS = frozenset(
    [
        "interviewer",
        "moderator",
        "researcher",
        "facilitator",
        "observer",
        "note",
        "notes",
        "q",
        "a",
        "i",
        "p",
        "question",
        "answer",
        "participant",
        "interviewee",
        "respondent",
        "speaker",
        "summary",
        "context",
        "date",
        "time",
        "location",
        "session",
        "transcript",
        "name",
        "email",
        "phone",
        "age",
        "role",
        "topic",
        "theme",
        "follow",
        "up",
        "followup",
        "comment",
        "comments",
        "background",
        "intro",
        "introduction",
        "outro",
        "task",
        "tasks",
        "quote",
        "quotes",
        "insight",
        "insights",
    ]
)
_TABULAR = {".csv", ".tsv", ".json", ".jsonl", ".ndjson"}


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _iban_ok(text: str) -> bool:
    compact = text.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _looks_like_phone(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    if not 7 <= len(digits) <= 15 or _DATE.match(text.strip()):
        return False
    international = text.startswith(("+", "00"))
    return international or len(digits) >= 8 or bool(re.search(r"[ ()./-]", text))


def _is_name(candidate: str) -> bool:
    words = candidate.split()
    return (
        bool(words)
        and not any(ch.isdigit() for ch in candidate)
        and (candidate.casefold() not in GENERIC_LABELS)
    )


def collect_names(passages: Sequence[Passage]) -> list[str]:
    """Participants' names from name-like survey columns, transcript headers and speaker labels."""
    names: dict[str, None] = {}
    for passage in passages:
        if PurePath(passage.source).suffix.lower() in _TABULAR:
            for cell in passage.text.split("; "):
                column, sep, value = cell.partition(": ")
                if sep and _NAME_COLUMNS.match(column.strip()) and _is_name(value.strip()):
                    names[value.strip()] = None
            continue
        for pattern in (_HEADER, _NAME_WITH_DETAILS, _SPEAKER):
            match = pattern.match(passage.text)
            if match and _is_name(match.group(1).strip()):
                names[match.group(1).strip()] = None
                break
    return list(names)


class Redactor:
    """Stable placeholders for personal data; the same value always gets the same one."""

    def __init__(self) -> None:
        self._placeholders: dict[tuple[str, str], str] = {}
        self._originals: dict[str, str] = {}
        self._counts: dict[str, int] = dict.fromkeys(KIND_LABELS, 0)
        self._names: set[str] = set()
        self._name_pattern: re.Pattern[str] | None = None

    def add_names(self, names: Iterable[str]) -> None:
        """Redact these names, and each part of them (first or last name alone)."""
        for name in names:
            name = " ".join(name.split())
            if not name or name.casefold() in GENERIC_LABELS:
                continue
            self._names.add(name)
            self._names.update(
                part
                for part in name.split()
                if len(part) > 1 and part.casefold() not in GENERIC_LABELS
            )
        ordered = sorted(self._names, key=len, reverse=True)
        self._name_pattern = (
            re.compile(r"(?<!\w)(" + "|".join(map(re.escape, ordered)) + r")(?!\w)", re.IGNORECASE)
            if ordered
            else None
        )

    @property
    def mapping(self) -> dict[str, str]:
        """Placeholder → original. Keep it in memory; never log or store it."""
        return dict(self._originals)

    def counts(self) -> dict[str, int]:
        """How many distinct values of each kind were replaced, by readable label."""
        return {KIND_LABELS[kind]: n for kind, n in self._counts.items()}

    def _placeholder(self, kind: str, value: str) -> str:
        key = (kind, value)
        if key not in self._placeholders:
            self._counts[kind] += 1
            placeholder = f"[{kind}_{sum(1 for k in self._placeholders if k[0] == kind) + 1}]"
            self._placeholders[key] = placeholder
            self._originals[placeholder] = value
        return self._placeholders[key]

    def redact(self, text: str) -> str:
        def sub(kind: str, pattern: re.Pattern[str], text: str, check: Any = None) -> str:
            def replace(match: re.Match[str]) -> str:
                value = match.group(0)
                trail = ""
                if kind == "URL":
                    stripped = value.rstrip(".,;:!?")
                    value, trail = stripped, value[len(stripped) :]
                if check and not check(value):
                    return match.group(0)
                return self._placeholder(kind, value) + trail

            return pattern.sub(replace, text)

        text = sub("EMAIL", _EMAIL, text)
        text = sub("URL", _URL, text)
        text = sub("IBAN", _IBAN, text, _iban_ok)
        text = sub("CARD", _CARD, text, lambda v: _luhn(re.sub(r"\D", "", v)))
        text = sub("PHONE", _PHONE, text, _looks_like_phone)
        if self._name_pattern is not None:
            text = sub("PERSON", self._name_pattern, text)
        return text

    def restore(self, text: str) -> str:
        """Put the originals back, tolerating placeholders a model reformatted."""

        def replace(match: re.Match[str]) -> str:
            kind = (match.group(1) or match.group(3)).upper()
            number = match.group(2) or match.group(4)
            return self._originals.get(f"[{kind}_{number}]", match.group(0))

        return _PLACEHOLDER.sub(replace, text)

    def redact_persona(self, persona: Persona) -> Persona:
        return Persona.model_validate(_map_strings(persona.model_dump(), self.redact))

    def restore_persona(self, persona: Persona) -> Persona:
        return Persona.model_validate(_map_strings(persona.model_dump(), self.restore))


def _map_strings(node: Any, func: Any) -> Any:
    if isinstance(node, str):
        return func(node)
    if isinstance(node, dict):
        return {key: _map_strings(value, func) for key, value in node.items()}
    if isinstance(node, list):
        return [_map_strings(value, func) for value in node]
    return node
