"""Are the personas of one run really different people? One rule, used everywhere: the
generation's repairs, the checks of every version (:mod:`persona.generation.checks`) and the
quality gate."""

from __future__ import annotations

from collections.abc import Sequence

from persona.core.overlap import SIMILAR, similarity
from persona.core.schema import Persona


def clashes(persona: Persona, others: Sequence[Persona]) -> list[str]:
    """Why ``persona`` repeats one of ``others`` (the same name, or nearly the same role,
    goals and pain points), in words that tell a model what to do; empty when it does not."""
    for other in others:
        if persona.name.strip().casefold() == other.name.strip().casefold():
            return [f"it has the same name as {other.name}: give every persona a different name"]
        if similarity(persona, other) >= SIMILAR:
            return [
                f"it has nearly the same role, goals and pain points as {other.name}: make it a "
                "different person from a different group of participants"
            ]
    return []
