"""Are the personas of one run really different people?"""

from __future__ import annotations

from collections.abc import Sequence

from persona.core.overlap import SIMILAR, similarity
from persona.core.schema import Persona


def distinctness_problems(personas: Sequence[Persona]) -> list[str]:
    """Plain-language problems: shared names, near-identical goals and pain points."""
    problems = []
    seen: dict[str, int] = {}
    for i, persona in enumerate(personas):
        key = persona.name.strip().casefold()
        if key in seen:
            problems.append(
                f"personas {seen[key] + 1} and {i + 1} are both called '{persona.name}': "
                "give every persona a different name"
            )
        seen.setdefault(key, i)
    for i, a in enumerate(personas):
        for j in range(i + 1, len(personas)):
            if similarity(a, personas[j]) >= SIMILAR:
                problems.append(
                    f"personas {i + 1} ('{a.name}') and {j + 1} ('{personas[j].name}') have "
                    "nearly the same role, goals and pain points: make them different people "
                    "from different groups of participants"
                )
    return problems


def keep_distinct(personas: Sequence[Persona]) -> tuple[list[Persona], list[Persona]]:
    """Split into (kept, dropped): a persona too similar to an earlier one is dropped."""
    kept: list[Persona] = []
    dropped: list[Persona] = []
    for persona in personas:
        clash = any(
            persona.name.strip().casefold() == k.name.strip().casefold()
            or similarity(persona, k) >= SIMILAR
            for k in kept
        )
        (dropped if clash else kept).append(persona)
    return kept, dropped
