"""Who each persona represents: the participants whose words its evidence cites.

Every citable passage belongs to a participant (:func:`participant_of`). A run records
which participant said each citable passage (:func:`speakers`, kept as ``Run.speakers``),
so its coverage can be shown later without the research text: the participants each
persona cites, the participants no persona cites, and each persona's share of the study.

A persona marked unusable represents no one: it has no share and its quotes count for no one.
Personas are named apart (:func:`persona.core.naming.distinct_names`), so two the model named
alike stay two columns. Beyond :data:`READABLE_ROWS` participants, a heatmap shows groups of
participants cited by the same personas (:meth:`Coverage.rows`) instead of one row each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from persona.core.documents import Passage
from persona.core.naming import distinct_names
from persona.core.schema import Evidence, Persona
from persona.core.verdicts import cite

_TABLE_LOCATORS = ("row ", "record ")
"""Locators of survey answers and records: without a respondent ID, each is a participant."""
_RANGE = "–"
"""How a quote spanning consecutive passages is located: ``line 3–line 5``."""
READABLE_ROWS = 40
"""The most participants a heatmap shows one row each; more are shown in groups."""
NAMED_MISSING = 12
"""The most participants a summary names; beyond, it counts them and names the first."""
NOT_COUNTED = "not counted (unusable)"
"""The share shown for a persona marked unusable."""


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
    """Persona names, in run order, told apart (``Anna Berg (2)``)."""
    cited: tuple[Mapping[str, int], ...]
    """Per persona: participant → number of their passages the persona cites (none for an
    unusable persona)."""
    usable: tuple[bool, ...] = ()
    """Per persona: whether it is usable (all are when empty)."""

    def counts(self, index: int) -> bool:
        """Whether persona ``index`` counts in the coverage (it is not marked unusable)."""
        return not self.usable or self.usable[index]

    @property
    def counted(self) -> tuple[int, ...]:
        """The indexes of the personas that count (see :meth:`counts`), in run order."""
        return tuple(i for i in range(len(self.personas)) if self.counts(i))

    @property
    def known(self) -> bool:
        """Whether the run recorded who said what (runs made before it did not)."""
        return bool(self.participants)

    def represented(self, index: int) -> tuple[str, ...]:
        """The participants persona ``index`` cites, in study order."""
        return tuple(p for p in self.participants if self.cited[index].get(p))

    def share(self, index: int) -> float | None:
        """The share of the study's participants persona ``index`` represents, 0..1; None for
        an unusable persona, which represents no one."""
        if not self.counts(index):
            return None
        if not self.participants:
            return 0.0
        return len(self.represented(index)) / len(self.participants)

    def share_text(self, index: int) -> str:
        """The share as people read it: ``40%``, or :data:`NOT_COUNTED`."""
        share = self.share(index)
        return NOT_COUNTED if share is None else f"{share:.0%}"

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
        missing = self.missing
        named = ", ".join(missing[:NAMED_MISSING])
        if len(missing) > NAMED_MISSING:
            named = (
                f"{len(missing):,} of {len(self.participants):,} participants, among them {named}…"
            )
        return f"Not represented: {named} — consider one more persona or check " + (
            "this interview." if len(missing) == 1 else "these interviews."
        )

    def rows(self, limit: int = READABLE_ROWS) -> list[CoverageRow]:
        """The heatmap's rows: one per participant up to ``limit``, else groups.

        A group is the participants cited by exactly the same personas (``Cited by Anna ·
        120 participants``), largest first; beyond ``limit`` groups the smallest are folded
        into one. Each row has the cited passages per counted persona.
        """
        counted = self.counted
        if len(self.participants) <= limit:
            return [
                CoverageRow(p, (p,), tuple(self.cited[i].get(p, 0) for i in counted))
                for p in self.participants
            ]
        groups: dict[tuple[int, ...], list[str]] = {}
        for participant in self.participants:
            by = tuple(i for i in counted if self.cited[i].get(participant))
            groups.setdefault(by, []).append(participant)
        ordered = sorted(groups.items(), key=lambda item: -len(item[1]))
        if len(ordered) > limit:
            rest = [p for _, people in ordered[limit - 1 :] for p in people]
            ordered = [*ordered[: limit - 1], ((-1,), rest)]
        rows = []
        for by, people in ordered:
            if by == (-1,):
                label = "Cited by other combinations"
            elif by:
                label = "Cited by " + ", ".join(self.personas[i] for i in by)
            else:
                label = "Not represented"
            rows.append(
                CoverageRow(
                    f"{label} · {_people(len(people))}",
                    tuple(people),
                    tuple(sum(self.cited[i].get(p, 0) for p in people) for i in counted),
                )
            )
        return rows


@dataclass(frozen=True)
class CoverageRow:
    """One row of a coverage heatmap: a participant, or a group of them."""

    label: str
    participants: tuple[str, ...]
    cited: tuple[int, ...]
    """Passages cited per counted persona (:attr:`Coverage.counted`), in that order."""


def _people(count: int) -> str:
    return f"{count:,} participant" + ("" if count == 1 else "s")


def coverage(personas: Sequence[Persona], study: Mapping[str, str]) -> Coverage:
    """Which participants of ``study`` (place → participant) each persona's evidence cites.

    A quote counts where verification found it, else where the model placed it; a quote
    verification did not find, or of a persona marked unusable, counts for no one.
    """
    places = {key.casefold(): n for n, key in enumerate(study)}
    owners = list(study.values())
    cited = []
    for persona in personas:
        counts: dict[str, int] = {}
        evidence = () if persona.unusable else persona.all_evidence()
        for slot in _cited_slots(evidence, places):
            counts[owners[slot]] = counts.get(owners[slot], 0) + 1
        cited.append(counts)
    return Coverage(
        participants=tuple(dict.fromkeys(owners)),
        personas=tuple(distinct_names(p.name for p in personas)),
        cited=tuple(cited),
        usable=tuple(not p.unusable for p in personas),
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
