"""What a presentation-ready export shows of a run, independent of the file format.

The PDF (:mod:`persona.history.export_pdf`) and Word (:mod:`persona.history.export_docx`)
exports lay out the same :class:`Handout`: one sheet per persona with its name, role, bio,
goals, pain points, behaviours and motivations, every quote with where it came from and
whether it was found in the data, and a coverage and verification summary (who each persona
represents: :mod:`persona.core.coverage`).
"""

from __future__ import annotations

from dataclasses import dataclass

from persona.core.coverage import Coverage, coverage
from persona.core.records import Run
from persona.core.run_warnings import short_status
from persona.core.schema import CLAIM_SECTIONS, Evidence, Persona
from persona.core.verdicts import (
    PersonaStatus,
    QuoteVerdict,
    cite,
    persona_status,
    quote_verdict,
    run_summary,
)
from persona.history.headings import ENGLISH, Headings, run_headings


@dataclass(frozen=True)
class QuoteItem:
    """A quote, where it came from, and its verdict (:mod:`persona.core.verdicts`)."""

    text: str
    where: str
    verdict: QuoteVerdict

    @property
    def status(self) -> str:
        """The verdict in words, with its notes: ``in your data · weak support: ...``."""
        return " · ".join((self.verdict.label, *self.verdict.notes))


@dataclass(frozen=True)
class ClaimItem:
    text: str
    quotes: tuple[QuoteItem, ...]


@dataclass(frozen=True)
class SectionItem:
    title: str
    claims: tuple[ClaimItem, ...]


@dataclass(frozen=True)
class PersonaSheet:
    """One persona, as one page of a PDF or one section of a Word document."""

    name: str
    subtitle: str
    bio: str
    quote: QuoteItem
    sections: tuple[SectionItem, ...]
    summary: tuple[str, ...]
    """Coverage and verification, one line each."""
    status: PersonaStatus
    """Usable, or unusable with its reasons (shown under the name)."""
    note: str = ""
    """A warning to keep with the persona (its refinement failed)."""


@dataclass(frozen=True)
class Handout:
    title: str
    about: tuple[str, ...]
    """Lines about the run: when, which model, which files, how many quotes were found."""
    sheets: tuple[PersonaSheet, ...]
    headings: Headings = ENGLISH
    """Headings in the study's language (see :mod:`persona.history.headings`)."""


def handout(run: Run) -> Handout:
    """The handout of ``run``: its current personas, with a line about the run."""
    created = run.created_at.astimezone()
    model = run.model + (f", refined with {run.frontier_model}" if run.frontier_model else "")
    h = run_headings(run)
    about = [
        f"{h.made}: {created:%Y-%m-%d %H:%M} · {h.model}: {model}",
        f"{h.files}: {', '.join(f.name for f in run.files) or 'none'}",
        f"{h.verification}: {run.summary.text}",
    ]
    if run.status != "complete":
        about.append(f"{h.status}: {short_status(run.status, run.message)}")
    cover = coverage(run.personas, run.speakers)
    if run.records:
        about.append(f"{h.coverage}: {cover.summary}")
    sheets = tuple(
        _sheet(record.current, record.refine_error or "", _represents(cover, index), h)
        for index, record in enumerate(run.records)
    )
    return Handout(run.study or h.personas, tuple(about), sheets, h)


def _represents(cover: Coverage, index: int) -> str:
    """``Represents 3 of 8 participants (38%): R1, R4, R7`` (empty without coverage data)."""
    if not cover.known or not cover.counts(index):
        return ""
    who = cover.represented(index)
    line = (
        f"Represents {len(who)} of {len(cover.participants)} participants "
        f"({cover.share_text(index)})"
    )
    return line + (": " + ", ".join(who) if who else "")


def _sheet(
    persona: Persona, refine_error: str, represents: str, headings: Headings
) -> PersonaSheet:
    sections = tuple(
        SectionItem(
            headings.section(section),
            tuple(
                ClaimItem(claim.text, tuple(_quote(ev) for ev in claim.evidence))
                for claim in getattr(persona, section)
            ),
        )
        for section in CLAIM_SECTIONS
        if getattr(persona, section)
    )
    subtitle = " · ".join(part for part in (persona.role, persona.age) if part.strip())
    note = f"Refinement failed, the draft is shown: {refine_error}" if refine_error else ""
    return PersonaSheet(
        persona.name,
        subtitle,
        persona.bio,
        _quote(persona.quote),
        sections,
        _summary(persona, represents),
        persona_status(persona),
        note,
    )


def _quote(evidence: Evidence) -> QuoteItem:
    source, locator = cite(evidence)
    where = ", ".join(part for part in (source, locator) if part) or "source not given"
    return QuoteItem(" ".join(evidence.quote.split()), where, quote_verdict(evidence))


def _summary(persona: Persona, represents: str) -> tuple[str, ...]:
    """Coverage (who the persona represents, claims backed, files drawn on) and verification."""
    claims = [claim for _, claim in persona.claims()]
    backed = sum(1 for claim in claims if claim.evidence)
    files = {cite(ev)[0] for ev in persona.all_evidence() if cite(ev)[0]}
    lines = [
        f"Coverage: {backed} of {len(claims)} statements backed by a quote, drawing on "
        f"{len(files)} file{'' if len(files) == 1 else 's'}"
        + (
            f" and {len(persona.participants)} participant"
            f"{'' if len(persona.participants) == 1 else 's'}"
            if persona.participants
            else ""
        ),
    ]
    lines.append(f"Verification: {run_summary([persona]).quotes_text}")
    if represents:
        lines.insert(0, represents)
    elif persona.participants:
        lines.append("Based on: " + ", ".join(persona.participants))
    return tuple(lines)
