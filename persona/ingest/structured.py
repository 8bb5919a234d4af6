"""JSON and JSON Lines: one passage per record, nested values flattened to ``a.b: value``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from persona.core.documents import Passage
from persona.core.errors import InputError
from persona.ingest.base import SHOWN, Parsed, and_more, numbered, plural

NEWLINE = re.compile(r"\r\n|\r|\n")


def read_json(name: str, text: str) -> Parsed:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":
            lines, notes = read_jsonl(name, text)
            return lines, ["it holds one JSON value per line, so it was read as JSON Lines", *notes]
        raise InputError(
            f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}). "
            "Fix it there, or export the file again."
        ) from exc
    passages: list[Passage] = []
    empty: list[str] = []
    for locator, record in _records(value):
        if line := _record_text(record):
            passages.append(Passage(name, locator, line))
        else:
            empty.append(locator)
    warnings = []
    if empty:
        shown = ", ".join(empty[:SHOWN]) + and_more(len(empty))
        warnings.append(f"{plural(len(empty), 'empty record')} skipped ({shown})")
    return passages, warnings


def _records(value: Any) -> list[tuple[str, Any]]:
    """(locator, record) pairs: a list's items, an object of objects' values, else the value.

    An object whose only value is a list (``{"responses": [...]}``) holds that list's records.
    """
    if isinstance(value, dict):
        if value and all(isinstance(v, dict) for v in value.values()):
            return [(f"record {key}", record) for key, record in value.items()]
        if len(value) == 1 and isinstance(only := next(iter(value.values())), list):
            value = only
    if isinstance(value, list):
        return [(f"record {i}", record) for i, record in enumerate(value, 1)]
    return [("record 1", value)]


def _record_text(record: Any) -> str:
    return "; ".join(f"{key}: {text}" if key else text for key, text in _flatten(record, ""))


def _flatten(value: Any, key: str) -> Iterator[tuple[str, str]]:
    """(dotted key, text) pairs; lists of plain values are joined with commas, 1-based."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _flatten(v, f"{key}.{k}" if key else str(k))
    elif isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        for i, v in enumerate(value, 1):
            yield from _flatten(v, f"{key}.{i}" if key else str(i))
    elif isinstance(value, list):
        if text := ", ".join(s for s in map(_scalar, value) if s):
            yield key, text
    elif text := _scalar(value):
        yield key, text


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def read_jsonl(name: str, text: str) -> Parsed:
    passages: list[Passage] = []
    bad: list[str] = []
    empty: list[int] = []
    for number, line in enumerate(NEWLINE.split(text), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            bad.append(f"line {number} ({exc.msg})")
            continue
        if record_text := _record_text(record):
            passages.append(Passage(name, f"line {number}", record_text))
        else:
            empty.append(number)
    if bad and not passages:
        raise InputError(
            f"{name}: no line is valid JSON ({bad[0]}). JSON Lines files hold one JSON "
            "record per line; check the export."
        )
    warnings = []
    if bad:
        verb = "is" if len(bad) == 1 else "are"
        shown = ", ".join(bad[:SHOWN]) + and_more(len(bad))
        warnings.append(f"{plural(len(bad), 'line')} {verb} not valid JSON and skipped: {shown}")
    if empty:
        warnings.append(f"{plural(len(empty), 'empty record')} skipped ({numbered('line', empty)})")
    return passages, warnings
