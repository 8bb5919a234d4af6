"""Diffs a non-programmer can read: word-level track changes and a field-by-field table."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

from rapidfuzz import fuzz

from persona.core.records import Version
from persona.core.safe_text import escape_html
from persona.core.schema import CLAIM_SECTIONS, Claim, Persona

SegmentKind = Literal["same", "removed", "added"]
Status = Literal["changed", "added", "removed", "unchanged"]

REMOVED_STYLE = "color:#b42318;background:#fee4e2;text-decoration:line-through"
ADDED_STYLE = "color:#067647;background:#dcfae6;text-decoration:none"
SCALAR_FIELDS = {"name": "Name", "age": "Age", "role": "Role", "bio": "Bio", "quote": "Quote"}
CLAIM_LABELS = {
    "goals": "Goal",
    "pain_points": "Pain point",
    "behaviours": "Behaviour",
    "motivations": "Motivation",
}
CHOOSABLE_FIELDS: dict[str, str] = {
    **SCALAR_FIELDS,
    **{section: section.replace("_", " ").capitalize() for section in CLAIM_SECTIONS},
    "participants": "Participants",
}
"""The fields a user can take from either version (see :func:`merge`), with their labels."""
NO_CHANGES = "No changes: the refined version is word for word the draft."
"""What track changes shows when the two versions are the same."""
MATCH_AT = 50.0
"""Claims at least this similar (0..100) are the same claim, edited."""

_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of text that is the same in both versions, or only in one of them."""

    kind: SegmentKind
    text: str


def word_diff(before: str, after: str) -> list[Segment]:
    """Word-level changes from ``before`` to ``after``.

    Joining the "same" and "added" texts gives ``after`` back exactly, and "same" and
    "removed" give ``before`` (changes of spacing alone show as unchanged). A lone space
    between two changes joins them into one change.
    """
    old, new = _TOKENS.findall(before), _TOKENS.findall(after)
    runs: list[tuple[str, list[str], list[str]]] = []
    matcher = SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        gap = tag == "equal" and "".join(old[i1:i2]).isspace()
        if tag != "equal" or (gap and runs and runs[-1][0] == "change" and i2 < len(old)):
            if runs and runs[-1][0] == "change":
                runs[-1][1].extend(old[i1:i2])
                runs[-1][2].extend(new[j1:j2])
            else:
                runs.append(("change", old[i1:i2], new[j1:j2]))
        else:
            runs.append(("same", old[i1:i2], []))
    segments: list[Segment] = []
    for kind, removed, added in runs:
        if kind == "same":
            segments.append(Segment("same", "".join(removed)))
            continue
        removed_text, added_text = "".join(removed), "".join(added)
        if removed_text.strip() or added_text.strip():
            segments += [Segment("removed", removed_text)] if removed_text else []
            segments += [Segment("added", added_text)] if added_text else []
        else:
            segments.append(Segment("same", added_text))
    return _merged(segments)


def _merged(segments: list[Segment]) -> list[Segment]:
    merged: list[Segment] = []
    for segment in segments:
        if merged and merged[-1].kind == segment.kind:
            merged[-1] = Segment(segment.kind, merged[-1].text + segment.text)
        elif segment.text:
            merged.append(segment)
    return merged


def to_html(segments: list[Segment]) -> str:
    """Track changes as HTML: removed struck through in red, added in green. Text is escaped."""
    parts = []
    for segment in segments:
        text = escape_html(segment.text)
        if segment.kind == "removed":
            parts.append(f'<del style="{REMOVED_STYLE}">{text}</del>')
        elif segment.kind == "added":
            parts.append(f'<ins style="{ADDED_STYLE}">{text}</ins>')
        else:
            parts.append(text)
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One row of the field table: what a field (or one claim) was and became.

    ``field`` is the top-level Persona field, the key :func:`merge` takes choices by.
    """

    field: str
    label: str
    status: Status
    before: str
    after: str


def claim_text(claim: Claim) -> str:
    """A claim as one line: its statement, then its quotes."""
    quotes = "; ".join(f"“{e.quote}”" for e in claim.evidence)
    return f"{claim.text} — {quotes}" if quotes else claim.text


def _status(before: str, after: str) -> Status:
    if before == after:
        return "unchanged"
    if not before:
        return "added"
    return "removed" if not after else "changed"


def _scalar(persona: Persona, field: str) -> str:
    return persona.quote.quote if field == "quote" else str(getattr(persona, field))


def _align(old: list[Claim], new: list[Claim]) -> list[tuple[int | None, int | None]]:
    """Pairs (old index, new index) in reading order; ``None`` where a claim has no partner.

    Pairs keep their order and maximise total similarity, so an inserted claim shows as
    added instead of shifting every later claim into "changed".
    """
    similar = [[fuzz.token_set_ratio(a.text, b.text) for b in new] for a in old]
    best = [[0.0] * (len(new) + 1) for _ in range(len(old) + 1)]
    for i in range(len(old) - 1, -1, -1):
        for j in range(len(new) - 1, -1, -1):
            paired = similar[i][j] + best[i + 1][j + 1] if similar[i][j] >= MATCH_AT else 0.0
            best[i][j] = max(paired, best[i + 1][j], best[i][j + 1])
    pairs: list[tuple[int | None, int | None]] = []
    i = j = 0
    while i < len(old) or j < len(new):
        if i == len(old):
            pairs.append((None, j))
            j += 1
        elif j == len(new):
            pairs.append((i, None))
            i += 1
        elif similar[i][j] >= MATCH_AT and best[i][j] == similar[i][j] + best[i + 1][j + 1]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            pairs.append((i, None))
            i += 1
        else:
            pairs.append((None, j))
            j += 1
    return pairs


def field_changes(draft: Persona, refined: Persona) -> list[FieldChange]:
    """Every field and claim of the two versions, with what changed, in reading order."""
    changes = [
        FieldChange(field, label, _status(before, after), before, after)
        for field, label in SCALAR_FIELDS.items()
        for before, after in [(_scalar(draft, field), _scalar(refined, field))]
    ]
    for section in CLAIM_SECTIONS:
        old, new = getattr(draft, section), getattr(refined, section)
        for i, j in _align(old, new):
            before = claim_text(old[i]) if i is not None else ""
            after = claim_text(new[j]) if j is not None else ""
            number = (j if j is not None else i or 0) + 1
            label = f"{CLAIM_LABELS[section]} {number}"
            changes.append(FieldChange(section, label, _status(before, after), before, after))
    people = ", ".join(draft.participants), ", ".join(refined.participants)
    changes.append(FieldChange("participants", "Participants", _status(*people), *people))
    return changes


def field_choices(taken: Iterable[str]) -> dict[str, Version]:
    """Every choosable field: ``refined`` for the fields ``taken`` from the refined version,
    ``draft`` for the rest."""
    chosen = set(taken)
    unknown = chosen - set(CHOOSABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not choosable fields: {', '.join(sorted(unknown))}")
    return {field: "refined" if field in chosen else "draft" for field in CHOOSABLE_FIELDS}


def merge(draft: Persona, refined: Persona, choices: Mapping[str, Version]) -> Persona:
    """A persona taking each top-level field from the chosen version (refined by default)."""
    unknown = set(choices) - set(Persona.model_fields)
    if unknown:
        raise ValueError(f"Not persona fields: {', '.join(sorted(unknown))}")
    bad = {v for v in choices.values() if v not in ("draft", "refined")}
    if bad:
        raise ValueError(f"Choose 'draft' or 'refined', not {', '.join(map(repr, sorted(bad)))}")
    versions = {"draft": draft.model_dump(), "refined": refined.model_dump()}
    return Persona.model_validate(
        {field: versions[choices.get(field, "refined")][field] for field in Persona.model_fields}
    )
