"""How alike personas are: one measure for the distinctness rule, the quality gate and the
distinctness matrix shown with every run.

Text similarity compares what makes a persona who they are (role, goals, pain points) as
sets of words, in any language (:func:`persona.core.words.terms`); participant overlap
compares whom their evidence cites (:mod:`persona.core.coverage`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from persona.core.coverage import Coverage
from persona.core.naming import distinct_names
from persona.core.schema import Persona
from persona.core.words import terms

SIMILAR = 88.0
"""Personas whose roles, goals and pain points overlap this much (0..100) are the same persona."""
CLOSE = 60.0
"""Personas this similar that also stand for exactly the same participants are too alike."""


def profile(persona: Persona) -> str:
    """The text that makes a persona who they are: role, goals, pain points, as terms."""
    claims = [c.text for c in persona.goals + persona.pain_points]
    return " ".join(terms(" ".join([persona.role, *claims])))


def similarity(a: Persona, b: Persona) -> float:
    """How alike two personas' roles, goals and pain points are, 0..100."""
    return float(fuzz.token_set_ratio(profile(a), profile(b)))


@dataclass(frozen=True)
class Pair:
    """Two personas (by index) and how much they overlap."""

    first: int
    second: int
    similarity: float
    """Text similarity of roles, goals and pain points, 0..100."""
    shared: tuple[str, ...]
    """Participants both personas cite."""
    too_alike: bool


@dataclass(frozen=True)
class Distinctness:
    """Pairwise overlap of a run's personas."""

    personas: tuple[str, ...]
    """Persona names, told apart (``Anna Berg (2)``)."""
    pairs: tuple[Pair, ...]

    def pair(self, i: int, j: int) -> Pair | None:
        """The pair of personas ``i`` and ``j`` (in either order), None for ``i == j``."""
        first, second = sorted((i, j))
        return next((p for p in self.pairs if (p.first, p.second) == (first, second)), None)

    @property
    def too_alike(self) -> tuple[Pair, ...]:
        return tuple(p for p in self.pairs if p.too_alike)

    @property
    def summary(self) -> str:
        """One sentence: which personas are too alike, or that all are distinct."""
        if len(self.personas) < 2:
            return "One persona: nothing to compare."
        if not self.too_alike:
            return "Every pair of personas is distinct."
        names = "; ".join(
            f"{self.personas[p.first]} and {self.personas[p.second]} "
            f"({p.similarity:.0f}% similar, {len(p.shared)} shared participants)"
            for p in self.too_alike
        )
        return f"Too alike: {names} — consider merging them or asking for fewer personas."


def distinctness(personas: Sequence[Persona], cover: Coverage | None = None) -> Distinctness:
    """Every pair's text similarity and shared participants (from ``cover`` when known)."""
    groups = [
        set(cover.represented(i)) if cover is not None else set() for i in range(len(personas))
    ]
    pairs = []
    for i in range(len(personas)):
        for j in range(i + 1, len(personas)):
            score = similarity(personas[i], personas[j])
            shared = groups[i] & groups[j]
            same_people = bool(shared) and groups[i] == groups[j]
            pairs.append(
                Pair(
                    first=i,
                    second=j,
                    similarity=round(score, 1),
                    shared=tuple(p for p in (cover.participants if cover else ()) if p in shared),
                    too_alike=score >= SIMILAR or (same_people and score >= CLOSE),
                )
            )
    names = tuple(distinct_names(p.name for p in personas))
    return Distinctness(personas=names, pairs=tuple(pairs))
