"""Who each persona represents: the participants whose words its evidence cites.

Every citable passage belongs to a participant (:func:`participant_of`). A run records
which participant said each citable passage (:func:`speakers`, kept as ``Run.speakers``),
so its coverage can be shown later without the research text: the participants each
persona cites, the participants no persona cites, and each persona's share of the study.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from persona.core.documents import Passage
from persona.core.schema import Evidence, Persona
from persona.core.verdicts import cite

_TABLE_LOCATORS = ("row ", "record ")
"""Locators of survey answers and records: without a respondent ID, each is a participant."""
_RANGE = "–"
"""How a quote spanning consecutive passages is located: ``line 3–line 5``."""


def place(source: str, locator: str) -> str:
    """The key of a passage's place: ``interview.md, line 4``."""
    return f"{source}, {locator}" if locator else source


def participant_of(passage: Passage) -> str:
    """Who said ``passage``: its speaker or respondent, else the survey row, else the file."""
    if passage.participant.strip():
        return passage.participant.strip()
    if passage.locator.startswith(_TABLE_LOCATORS):
        return place(passage.source, passage.locator)
    return passage.source


def speakers(passages: Iterable[Passage]) -> dict[str, str]:
    """Place → participant of every citable passage, in study order."""
    return {place(p.source, p.locator): participant_of(p) for p in passages if p.citable}


@dataclass(frozen=True)
class Coverage:
    """Participants × personas: how many cited passages of each participant each persona has."""

    participants: tuple[str, ...]
    """Everyone in the study, in the order they first appear."""
    personas: tuple[str, ...]
    """Persona names, in run order."""
    cited: tuple[Mapping[str, int], ...]
    """Per persona: participant → number of their passages the persona cites."""

    @property
    def known(self) -> bool:
        """Whether the run recorded who said what (runs made before it did not)."""
        return bool(self.participants)

    def represented(self, index: int) -> tuple[str, ...]:
        """The participants persona ``index`` cites, in study order."""
        return tuple(p for p in self.participants if self.cited[index].get(p))

    def share(self, index: int) -> float:
        """The share of the study's participants persona ``index`` represents, 0..1."""
        if not self.participants:
            return 0.0
        return len(self.represented(index)) / len(self.participants)

    @property
    def missing(self) -> tuple[str, ...]:
        """Participants no persona cites."""
        return tuple(p for p in self.participants if not any(c.get(p) for c in self.cited))

    @property
    def summary(self) -> str:
        """One sentence for people: who is left out and what to do about it."""
        if not self.known:
            return (
                "Coverage is not available: this run was made before Persona recorded who said "
                "each passage."
            )
        if not self.missing:
            return f"All {len(self.participants)} participants are represented by a persona."
        return (
            f"Not represented: {', '.join(self.missing)} — consider one more persona or check "
            + ("this interview." if len(self.missing) == 1 else "these interviews.")
        )

    def cells(self) -> list[tuple[str, str, int]]:
        """(participant, persona, cited passages) for every pair, for tables and heatmaps."""
        return [
            (participant, persona, counts.get(participant, 0))
            for persona, counts in zip(self.personas, self.cited, strict=True)
            for participant in self.participants
        ]


def coverage(personas: Sequence[Persona], study: Mapping[str, str]) -> Coverage:
    """Which participants of ``study`` (place → participant) each persona's evidence cites.

    A quote counts where verification found it, else where the model placed it; a quote
    verification did not find counts for no one.
    """
    places = {key.casefold(): n for n, key in enumerate(study)}
    owners = list(study.values())
    cited = []
    for persona in personas:
        counts: dict[str, int] = {}
        for slot in _cited_slots(persona.all_evidence(), places):
            counts[owners[slot]] = counts.get(owners[slot], 0) + 1
        cited.append(counts)
    return Coverage(
        participants=tuple(dict.fromkeys(owners)),
        personas=tuple(p.name for p in personas),
        cited=tuple(cited),
    )


def _cited_slots(evidence: Iterable[Evidence], places: Mapping[str, int]) -> set[int]:
    """Positions in the study of the passages ``evidence`` cites (each counted once)."""
    slots: set[int] = set()
    for ev in evidence:
        if ev.verified is False:
            continue
        source, locator = cite(ev)
        first, _, last = locator.partition(_RANGE)
        start = places.get(place(source or "", first.strip()).casefold())
        if start is None:
            continue
        end = places.get(place(source or "", last.strip()).casefold(), start) if last else start
        slots.update(range(start, max(start, end) + 1))
    return slots
