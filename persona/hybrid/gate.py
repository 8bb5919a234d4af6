"""The quality gate: score each draft locally and decide which ones Claude should refine.

It scores what is really there: the evidence part is the share of claims backed by quotes
found in your data that support them (never the representative quote), so a persona with no
claim evidence cannot score high; an unusable persona scores at most :data:`UNUSABLE_CAP`, and
its reasons lead the gate's reasons (the gate never says "no problems found" for it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from persona.core.overlap import similarity
from persona.core.schema import Persona
from persona.core.verdicts import persona_status
from persona.generation.distinct import clashes

DEFAULT_THRESHOLD = 75.0
WEIGHTS = {"evidence": 0.5, "completeness": 0.3, "distinctness": 0.2}
"""How much each part counts in the score (they add up to 1)."""
MIN_BIO_CHARS = 60
UNUSABLE_CAP = 40.0
"""An unusable persona scores at most this, however complete it looks."""


@dataclass(frozen=True)
class Score:
    """0..100, with the parts it is made of and the reasons it is not 100."""

    value: float
    evidence: float
    completeness: float
    distinctness: float
    reasons: tuple[str, ...]


def _completeness(persona: Persona) -> tuple[float, list[str]]:
    checks = {
        "a bio of a few sentences": len(persona.bio.strip()) >= MIN_BIO_CHARS,
        "at least two goals": len(persona.goals) >= 2,
        "at least two pain points": len(persona.pain_points) >= 2,
        "at least two behaviours": len(persona.behaviours) >= 2,
        "at least one motivation": bool(persona.motivations),
        "a quote for every claim": all(c.evidence for _, c in persona.claims()),
        "the participants it represents": bool(persona.participants),
    }
    missing = [f"lacks {what}" for what, ok in checks.items() if not ok]
    return 100 * (len(checks) - len(missing)) / len(checks), missing


def score_persona(persona: Persona, others: Sequence[Persona] = ()) -> Score:
    """Supported claims, completeness of the schema, distinctness from the others."""
    claims = [claim for _, claim in persona.claims()]
    supported = sum(claim.supported for claim in claims)
    evidence = 100 * supported / len(claims) if claims else 0.0
    status = persona_status(persona)
    reasons = [f"unusable: {reason}" for reason in status.reasons]
    if supported < len(claims):
        reasons.append(
            f"{len(claims) - supported} of {len(claims)} claims lack a supporting quote in your "
            "data"
        )
    completeness, missing = _completeness(persona)
    reasons.extend(missing)
    closest = max((similarity(persona, other) for other in others), default=0.0)
    distinctness = 100 - closest
    reasons.extend(clashes(persona, others))
    value = (
        WEIGHTS["evidence"] * evidence
        + WEIGHTS["completeness"] * completeness
        + WEIGHTS["distinctness"] * distinctness
    )
    if not status.usable:
        value = min(value, UNUSABLE_CAP)
    return Score(round(value, 1), evidence, completeness, distinctness, tuple(reasons))


def score_all(personas: Sequence[Persona]) -> list[Score]:
    """Scores for a run's personas, each against all the others."""
    return [
        score_persona(p, [o for j, o in enumerate(personas) if j != i])
        for i, p in enumerate(personas)
    ]
