"""The quality gate: score each draft locally and decide which ones Claude should refine."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from persona.core.overlap import similarity
from persona.core.schema import Persona

DEFAULT_THRESHOLD = 75.0
WEIGHTS = {"evidence": 0.5, "completeness": 0.3, "distinctness": 0.2}
"""How much each part counts in the score (they add up to 1)."""
MIN_BIO_CHARS = 60


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
    """Evidence found in the data, completeness of the schema, distinctness from the others."""
    quotes = persona.all_evidence()
    found = sum(1 for e in quotes if e.verified)
    evidence = 100 * found / len(quotes) if quotes else 0.0
    reasons = []
    if found < len(quotes):
        reasons.append(f"{len(quotes) - found} of {len(quotes)} quotes not found in your data")
    completeness, missing = _completeness(persona)
    reasons.extend(missing)
    closest = max((similarity(persona, other) for other in others), default=0.0)
    distinctness = 100 - closest
    if closest >= 60:
        name = max(others, key=lambda other: similarity(persona, other)).name
        reasons.append(f"{closest:.0f}% similar to {name}")
    value = (
        WEIGHTS["evidence"] * evidence
        + WEIGHTS["completeness"] * completeness
        + WEIGHTS["distinctness"] * distinctness
    )
    return Score(round(value, 1), evidence, completeness, distinctness, tuple(reasons))


def score_all(personas: Sequence[Persona]) -> list[Score]:
    """Scores for a run's personas, each against all the others."""
    return [
        score_persona(p, [o for j, o in enumerate(personas) if j != i])
        for i, p in enumerate(personas)
    ]
