"""Reading a model's answer item by item: keep every valid item, describe every invalid one.

An answer is ``{"personas": [...]}`` or ``{"findings": [...]}``. It may be wrapped in a code
fence, followed by chatter, or cut off mid-way (the token limit, or a loop Persona stopped):
a truncated answer is parsed partially (:func:`pydantic_core.from_json` with
``allow_partial``), so every item completed before the cut is kept. Each item is validated on
its own: valid ones are kept, invalid ones are described for a repair. Text over a soft limit
is trimmed and noted, never rejected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import from_json

from persona.core.schema import TRIMMED

M = TypeVar("M", bound=BaseModel)

_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$", re.IGNORECASE)
MAX_PROBLEMS = 12


@dataclass
class ItemsAnswer(Generic[M]):
    """The usable part of one answer."""

    items: list[M] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """One readable line per problem of an invalid item (for the repair message)."""
    invalid: int = 0
    """Items that did not validate (the last one of a cut answer not counted)."""
    trimmed: list[str] = field(default_factory=list)
    complete: bool = True
    """False when the JSON was cut off before its end."""
    readable: bool = True
    """False when no JSON object could be read at all."""


def read_items(text: str, kind: type[M], key: str) -> ItemsAnswer[M]:
    """Parse ``text`` as ``{key: [items]}`` and validate each item as ``kind``. Never raises."""
    answer: ItemsAnswer[M] = ItemsAnswer()
    data, answer.complete = _load(text)
    if not isinstance(data, dict):
        answer.readable = False
        answer.problems.append("the answer is not a JSON object")
        return answer
    raw = data.get(key)
    if raw is None:
        found = [k for k in data if isinstance(k, str)][:5]
        answer.problems.append(
            f'the answer has no "{key}" list' + (f" (it has: {', '.join(found)})" if found else "")
        )
        return answer
    if not isinstance(raw, list):
        answer.problems.append(f'"{key}" must be a list, not {type(raw).__name__}')
        return answer
    last = len(raw) - 1
    for index, item in enumerate(raw):
        context: dict[str, Any] = {TRIMMED: []}
        try:
            answer.items.append(kind.model_validate(item, context=context))
        except ValidationError as exc:
            if not answer.complete and index == last:
                continue  # the item the answer was cut in: nothing to repair, just unfinished
            answer.invalid += 1
            label = _label(item, key, index)
            answer.problems.extend(f"{label}: {_describe(e)}" for e in exc.errors()[:6])
        except (ValueError, TypeError, RecursionError) as exc:  # custom validators, deep data
            answer.invalid += 1
            answer.problems.append(f"{_label(item, key, index)}: {exc}")
        else:
            answer.trimmed.extend(
                f"{_label(item, key, index)}: {note}" for note in context[TRIMMED]
            )
    del answer.problems[MAX_PROBLEMS:]
    return answer


def read_object(text: str, kind: type[M]) -> tuple[M | None, list[str]]:
    """Parse ``text`` as one ``kind`` object: (it, []) or (None, readable problems). Never
    raises; a cut-off answer is completed as far as it goes."""
    data, _complete = _load(text)
    if not isinstance(data, dict):
        return None, ["the answer is not a JSON object"]
    try:
        return kind.model_validate(data, context={TRIMMED: []}), []
    except ValidationError as exc:
        return None, [_describe(e) for e in exc.errors()[:MAX_PROBLEMS]]
    except (ValueError, TypeError, RecursionError) as exc:
        return None, [str(exc)]


def _load(text: str) -> tuple[Any, bool]:
    """(parsed JSON, whether it was complete); ``(None, True)`` when there is no object."""
    cleaned = _FENCE.sub("", text.strip())
    start = cleaned.find("{")
    if start < 0:
        return None, True
    end = cleaned.rfind("}")
    if end > start:
        try:
            return from_json(cleaned[start : end + 1]), True
        except ValueError:
            pass
    try:
        return from_json(cleaned[start:], allow_partial=True), False
    except (ValueError, RecursionError):
        return None, True


def _label(item: Any, key: str, index: int) -> str:
    noun = key[:-1] if key.endswith("s") else key
    name = item.get("name") if isinstance(item, dict) else None
    named = f" ({name[:40]})" if isinstance(name, str) and name.strip() else ""
    return f"{noun} {index + 1}{named}"


def _describe(error: Any) -> str:
    where = ".".join(str(part) for part in error.get("loc", ())) or "value"
    return f"{where}: {error.get('msg', 'invalid')}"
