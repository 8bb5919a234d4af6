"""What may leave the machine for one draft: only text a participant said, found in the data.

The payload is the draft's model-facing fields (nothing Persona computes), with every quote
that was not verified in the research data, or that was found only in text a participant
did not say (an interviewer's question, a heading), left out; the representative quote too.
It is redacted as a whole afterwards (:func:`persona.hybrid.redact.redactor_for`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from persona.core.documents import Passage
from persona.core.schema import Evidence, Persona
from persona.hybrid.cloud import payload_of

_RANGE = "–"
"""How :mod:`persona.generation.evidence` joins the locators of a quote across passages."""


@dataclass(frozen=True)
class Payload:
    """The data sent for one draft, and how many of its quotes were held back."""

    data: dict[str, Any]
    withheld: int


def _spoken(passages: Sequence[Passage]) -> Mapping[tuple[str, str], bool]:
    return {(p.source, p.locator): p.citable for p in passages}


def sendable(evidence: Evidence, spoken: Mapping[tuple[str, str], bool]) -> bool:
    """Verified in the data, in passages a participant said (every passage of a range)."""
    if evidence.verified is not True or not evidence.matched_source:
        return False
    ends = (evidence.matched_locator or "").split(_RANGE)
    return all(spoken.get((evidence.matched_source, end), False) for end in ends)


def build_payload(persona: Persona, passages: Sequence[Passage]) -> Payload:
    """The draft as it may be sent (before redaction), see the module docstring."""
    spoken = _spoken(passages)
    copy = persona.model_copy(deep=True)
    withheld = 0
    for _, claim in copy.claims():
        kept = [e for e in claim.evidence if sendable(e, spoken)]
        withheld += len(claim.evidence) - len(kept)
        claim.evidence = kept
    data = payload_of(copy)
    if not sendable(copy.quote, spoken):
        del data["quote"]
        withheld += 1
    return Payload(data, withheld)
