"""Diffs a non-programmer can read: word-level track changes and a field-by-field table."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

from rapidfuzz import fuzz

from persona.schema import CLAIM_SECTIONS, Claim, Persona

SegmentKind = Literal["same", "removed", "added"]
Status = Literal["changed", "added", "removed", "unchanged"]
Version = Literal["draft", "refined"]

_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")
REMOVED_STYLE = "color:#b42318;background:#fee4e2;text-decoration:line-through"
ADDED_STYLE = "color:#067647;background:#dcfae6;text-decoration:none"
SCALAR_FIELDS = {"name": "Name", "age": "Age", "role": "Role", "bio": "Bio", "quote": "Quote"}
CLAIM_LABELS = {
    "goals": "Goal",
    "pain_points": "Pain point",
    "behaviours": "Behaviour",
    "motivations": "Motivation",
}
MATCH_AT = 50.0
"""Claims at least this similar (0..100) are the same claim, edited."""


@dataclass(frozen=True)
class Segment:
    kind: SegmentKind
    text: str


def word_diff(before: str, after: str) -> list[Segment]:
    """Word-level changes from ``before`` to ``after``; whitespace and punctuation kept."""
    old, new = _TOKENS.findall(before), _TOKENS.findall(after)
    segments: list[Segment] = []

    def add(kind: SegmentKind, tokens: list[str]) -> None:
        text = "".join(tokens)
        if not text:
            return
        if segments and segments[-1].kind == kind:
            segments[-1] = Segment(kind, segments[-1].text + text)
        else:
            segments.append(Segment(kind, text))

    matcher = SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            add("same", old[i1:i2])
        else:
            add("removed", old[i1:i2])
            add("added", new[j1:j2])
    return segments


def to_html(segments: list[Segment]) -> str:
    """Track changes as HTML: removed struck through in red, added in green (text escaped)."""
    parts = []
    for segment in segments:
        text = html.escape(segment.text)
        if segment.kind == "removed":
            parts.append(f'<del style="{REMOVED_STYLE}">{text}</del>')
        elif segment.kind == "added":
            parts.append(f'<ins style="{ADDED_STYLE}">{text}</ins>')
        else:
            parts.append(text)
    return "".join(parts)


@dataclass(frozen=True)
class FieldChange:
    """One row of the field table: what a field (or one claim) was and became."""

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
    """Pairs (old index, new index) matched by similarity; None where a claim has no match."""
    scores = sorted(
        (
            (fuzz.token_set_ratio(a.text, b.text), i, j)
            for i, a in enumerate(old)
            for j, b in enumerate(new)
        ),
        reverse=True,
    )
    pairs: dict[int, int] = {}
    used: set[int] = set()
    for score, i, j in scores:
        if score < MATCH_AT:
            break
        if i not in pairs and j not in used:
            pairs[i] = j
            used.add(j)
    by_new = {j: i for i, j in pairs.items()}
    aligned: list[tuple[int | None, int | None]] = [(by_new.get(j), j) for j in range(len(new))]
    aligned += [(i, None) for i in range(len(old)) if i not in pairs]
    return aligned


def field_changes(draft: Persona, refined: Persona) -> list[FieldChange]:
    """Every field and claim of the two versions, with what changed."""
    changes = [
        FieldChange(field, label, _status(a, b), a, b)
        for field, label in SCALAR_FIELDS.items()
        for a, b in [(_scalar(draft, field), _scalar(refined, field))]
    ]
    for section in CLAIM_SECTIONS:
        old, new = getattr(draft, section), getattr(refined, section)
        for i, j in _align(old, new):
            before = claim_text(old[i]) if i is not None else ""
            after = claim_text(new[j]) if j is not None else ""
            number = (j if j is not None else i or 0) + 1
            label = f"{CLAIM_LABELS[section]} {number}"
            changes.append(FieldChange(section, label, _status(before, after), before, after))
    people = (", ".join(draft.participants), ", ".join(refined.participants))
    changes.append(FieldChange("participants", "Participants", _status(*people), *people))
    return changes


def merge(draft: Persona, refined: Persona, choices: Mapping[str, Version]) -> Persona:
    """A persona taking each top-level field from the version chosen (refined by default)."""
    data = {
        field: getattr(draft if choices.get(field, "refined") == "draft" else refined, field)
        for field in Persona.model_fields
    }
    return Persona.model_validate(data).model_copy(deep=True)
