"""The same study through two or three models (or engines), side by side.

Each contender makes an ordinary local run, saved to History like any other; a contender
that fails does not stop the others. :func:`side_by_side` lays the runs out as one table a
researcher can read: per model its time, tokens, quotes found, weak-support citations,
coverage and distinctness, then the personas next to each other (matched across models by
what they say).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from persona.core.coverage import Coverage, coverage
from persona.core.errors import InputError, PersonaError
from persona.core.overlap import Distinctness, distinctness, similarity
from persona.core.progress import Progress
from persona.core.records import Run
from persona.core.schema import Evidence, Persona
from persona.core.verdicts import persona_status, quote_verdict, run_summary
from persona.engines.base import Engine
from persona.generation.pipeline import SavedGeneration
from persona.generation.request import GenerationRequest
from persona.history.store import Store
from persona.ingest import Reading
from persona.ingest.roles import Choices

MAX_CONTENDERS = 3


@dataclass(frozen=True)
class Contender:
    """A model on an engine."""

    engine: Engine
    model: str

    @property
    def label(self) -> str:
        return self.model


@dataclass
class Entry:
    """One contender's run and what it shows."""

    label: str
    run: Run | None = None
    error: str = ""

    @property
    def coverage(self) -> Coverage | None:
        return coverage(self.run.personas, self.run.speakers) if self.run else None

    @property
    def distinctness(self) -> Distinctness | None:
        return distinctness(self.run.personas, self.coverage) if self.run else None


@dataclass
class Comparison:
    """Run ``request`` on every contender over the same reading, one after the other."""

    contenders: Sequence[Contender]
    reading: Reading
    request: GenerationRequest
    store: Store
    keep_research_text: bool = False
    study: str = ""
    """The study every run belongs to (default: named after the files)."""
    columns: Choices | None = None
    """The table choices the reading was read with, recorded with each run."""
    entries: list[Entry] = field(default_factory=list)

    def __post_init__(self) -> None:
        labels = [c.label for c in self.contenders]
        if not 2 <= len(labels) <= MAX_CONTENDERS:
            raise InputError(f"Compare two or three models (got {len(labels)}).")
        if len(set(labels)) != len(labels):
            raise InputError("Pick different models to compare.")

    def events(self) -> Iterator[Progress]:
        """Progress of every run in turn, each message prefixed with its model."""
        total = len(self.contenders)
        for number, contender in enumerate(self.contenders):
            entry = Entry(contender.label)
            self.entries.append(entry)
            request = replace(self.request, model=contender.model)
            try:
                saved = SavedGeneration(
                    contender.engine,
                    self.reading,
                    request,
                    self.store,
                    keep_research_text=self.keep_research_text,
                    study=self.study,
                    columns=self.columns,
                )
                entry.run = saved.run
                for event in saved.events():
                    done = (number + (event.fraction or 0.0)) / total
                    yield replace(
                        event, message=f"{contender.label}: {event.message}", fraction=done
                    )
            except PersonaError as exc:
                entry.error = str(exc)
                yield Progress(
                    "warning", f"{contender.label}: {exc}", fraction=(number + 1) / total
                )


def align(personas: Sequence[Sequence[Persona]]) -> list[list[int | None]]:
    """Rows of persona indexes, one column per run, pairing the most similar personas.

    The first run sets the order; each other run's personas go next to their closest match
    (greedily, most similar pair first); what matches nothing gets a row of its own.
    """
    rows: list[list[int | None]] = [[i] for i in range(len(personas[0]))] if personas else []
    for column, others in enumerate(personas[1:], start=1):
        for row in rows:
            row.append(None)
        pairs = sorted(
            (
                (similarity(personas[0][row[0]], other), r, j)
                for r, row in enumerate(rows)
                if row[0] is not None
                for j, other in enumerate(others)
            ),
            reverse=True,
        )
        used: set[int] = set()
        for _score, r, j in pairs:
            if rows[r][column] is None and j not in used:
                rows[r][column] = j
                used.add(j)
        for j in range(len(others)):
            if j not in used:
                rows.append([None] * column + [j])
    return rows


def _quote(evidence: Evidence) -> str:
    where = ", ".join(
        p
        for p in (
            evidence.matched_source or evidence.source,
            evidence.matched_locator or evidence.locator,
        )
        if p
    )
    verdict = quote_verdict(evidence)
    mark = ", ".join((verdict.text, *(f"⚠ {note}" for note in verdict.notes)))
    return f"“{evidence.quote}” — {where or 'no source'} ({mark})"


def weak_support_text(personas: Sequence[Persona]) -> str:
    """How many citations share (almost) nothing with the claim they are cited for.

    E.g. ``2 of 15 quotes cited with weak support``; the representative quote supports no
    claim, so only claims' quotes count."""
    cited = [ev for p in personas for _, claim in p.claims() for ev in claim.evidence]
    weak = sum(bool(ev.weak_support) for ev in cited)
    if not cited:
        return "No quotes cited"
    if not weak:
        return f"None of {len(cited)} quotes cited with weak support"
    return f"{weak} of {len(cited)} quotes cited with weak support"


def _persona_cells(persona: Persona, cover: Coverage | None, index: int) -> dict[str, str]:
    claims = "\n".join(
        f"{claim.text} " + " ".join(_quote(ev) for ev in claim.evidence)
        for claim in persona.goals + persona.pain_points
    )
    weak = sum(bool(ev.weak_support) for ev in persona.all_evidence())
    if cover is None or not cover.known:
        who = "unknown"
    elif not cover.counts(index):
        who = cover.share_text(index)
    else:
        who = ", ".join(cover.represented(index))
    return {
        "persona": f"{persona.name} — {persona.role} ({persona_status(persona).text})",
        "quote": _quote(persona.quote),
        "goals and pain points": claims,
        "quotes found": run_summary([persona]).quotes_text
        + (f", {weak} with weak support" if weak else ""),
        "represents": who,
    }


def _facts(entry: Entry) -> dict[str, str]:
    """The per-run rows of the table for one entry."""
    if entry.run is None:
        return dict.fromkeys(_FACTS, f"failed: {entry.error}")
    run, cover, distinct = entry.run, entry.coverage, entry.distinctness
    usage = run.usage
    tokens = f"{usage.prompt_tokens:,} in + {usage.answer_tokens:,} out"
    return {
        "Status": run.status + (f": {run.message}" if run.message else ""),
        "Time": f"{usage.seconds:.1f} s",
        "Tokens": tokens,
        VERDICTS: run.summary.text,
        WEAK: weak_support_text(run.personas),
        "Coverage": cover.summary if cover else "",
        "Distinctness": distinct.summary if distinct else "",
    }


WEAK = "Weak-support citations"
VERDICTS = "Usable personas and quotes in your data"
_FACTS = (
    "Status",
    "Time",
    "Tokens",
    VERDICTS,
    WEAK,
    "Coverage",
    "Distinctness",
)
_PARTS = ("persona", "quote", "goals and pain points", "quotes found", "represents")


def side_by_side(entries: Sequence[Entry]) -> list[dict[str, str]]:
    """The comparison as rows: ``{"": row label, <model>: cell, ...}``."""
    facts = [_facts(e) for e in entries]
    rows = [
        {"": label, **{e.label: f[label] for e, f in zip(entries, facts, strict=True)}}
        for label in _FACTS
    ]
    runs = [e for e in entries if e.run is not None]
    covers = {e.label: e.coverage for e in runs}
    for number, slot in enumerate(align([e.run.personas for e in runs if e.run]), start=1):
        cells: dict[str, dict[str, str]] = {}
        for entry, index in zip(runs, slot, strict=True):
            if index is not None and entry.run is not None:
                persona = entry.run.personas[index]
                cells[entry.label] = _persona_cells(persona, covers[entry.label], index)
        for part in _PARTS:
            label = f"Persona {number}" if part == "persona" else f"Persona {number}: {part}"
            rows.append(
                {"": label, **{e.label: cells.get(e.label, {}).get(part, "—") for e in entries}}
            )
    return rows
