"""A run as JSON, Markdown or CSV, with every unverified quote flagged.

Exports are meant to be shared, so none of them includes the kept copy of the research
text (``Run.research_text``). All three show the chosen version of each persona (the user's
merge, else the refined version, else the draft) with its quotes and where each came from.
JSON is ``{"personas": [...], "run": {...}}``: the run keeps everything else, drafts and
refined versions too.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from persona.core.context import quote_context, short_excerpt
from persona.core.diff import field_changes
from persona.core.documents import Passage
from persona.core.records import Run
from persona.core.run_warnings import short_status
from persona.core.safe_text import escape_markdown
from persona.core.schema import CLAIM_SECTIONS, Claim, Evidence, Persona
from persona.core.verdicts import cite, persona_status, quote_verdict
from persona.history.headings import Headings, run_headings
from persona.history.study_report import persona_columns, report_json, report_markdown

CSV_COLUMNS = (
    "persona",
    "status",
    "section",
    "claim",
    "quote",
    "source",
    "locator",
    "passage",
    "verified",
    "support",
    "represents",
    "share of study",
)
SECTION_TITLES = {
    "goals": "Goals",
    "pain_points": "Pain points",
    "behaviours": "Behaviours",
    "motivations": "Motivations",
}
NO_QUOTE = "⚠ no quote supports this"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def to_json(run: Run) -> str:
    """``{"personas": [the chosen versions], "run": {the whole run}}``, pretty.

    Each persona says its ``status`` (usable or unusable, with ``unusable`` its reasons) and
    each quote its ``verdict`` (:mod:`persona.core.verdicts`). ``run`` parses back with
    ``Run.model_validate``; its ``summary`` is added to it.
    """
    record: dict[str, object] = {"summary": run.summary.text}
    record.update(run.model_dump(mode="json", exclude={"research_text", "speakers"}))
    data = {
        "personas": [_persona_json(p) for p in run.personas],
        **report_json(run),
        "run": record,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _persona_json(persona: Persona) -> dict[str, Any]:
    data = persona.model_dump(mode="json")
    data["status"] = persona_status(persona).label
    data["quote"]["verdict"] = quote_verdict(persona.quote).label
    for section in CLAIM_SECTIONS:
        for claim, dumped in zip(getattr(persona, section), data[section], strict=True):
            for evidence, quote in zip(claim.evidence, dumped["evidence"], strict=True):
                quote["verdict"] = quote_verdict(evidence).label
    return data


def to_markdown(run: Run, passages: Sequence[Passage] | None = None) -> str:
    """A readable document: a header about the run, then a section per persona.

    With ``passages`` (the research text), each quote is followed by a short excerpt of its
    context: the question asked and the lines around it.
    """
    created = run.created_at.astimezone()
    model = run.model + (f", refined with {run.frontier_model}" if run.frontier_model else "")
    h = run_headings(run)
    lines = [
        f"# {h.personas} — {created:%Y-%m-%d %H:%M %Z}",
        "",
        f"- **{h.model}:** {model}",
        f"- **{h.files}:** {', '.join(f.name for f in run.files) or 'none'}",
        f"- **{h.verification}:** {run.summary.text}",
    ]
    if run.status != "complete":
        lines.append(f"- **{h.status}:** ⚠ {_inline(short_status(run.status, run.message))}")
    for number, record in enumerate(run.records, start=1):
        persona = record.current
        lines += ["", f"## {number}. {_inline(persona.name)}", ""]
        lines.append(f"**{h.role}:** {_inline(persona.role)} · **{h.age}:** {_inline(persona.age)}")
        status = persona_status(persona)
        if not status.usable:
            lines += ["", f"**⚠ {_inline(status.text)}**"]
        if record.refine_error:
            lines += ["", f"⚠ Refinement failed, draft shown: {_inline(record.refine_error)}"]
        if record.score is not None:
            reasons = "; ".join(record.score_reasons)
            lines += ["", f"**Score:** {record.score:g}" + (f" — {reasons}" if reasons else "")]
        lines += ["", _inline(persona.bio), "", _quote_line(persona.quote)]
        lines += _excerpt(persona.quote, passages)
        lines += _markdown_claims(persona, passages, h)
    if run.records:
        lines += report_markdown(run, _inline)
    return "\n".join(lines) + "\n"


QuoteRow = tuple[Persona, str, str, Evidence | None]
"""(persona, section, claim text, quote): one per quote, or per claim that has none."""


def quote_rows(persona: Persona) -> list[QuoteRow]:
    """The representative quote, then every claim's quotes, in the order a reader meets them."""
    rows: list[QuoteRow] = [(persona, "quote", "", persona.quote)]
    for section, claim in persona.claims():
        rows += [(persona, section, claim.text, ev) for ev in claim.evidence] or [
            (persona, section, claim.text, None)
        ]
    return rows


def quote_table(run: Run) -> list[tuple[str, ...]]:
    """The cells of :data:`CSV_COLUMNS`, one row per quote (or per claim without one)."""
    rows: list[tuple[str, ...]] = []
    for persona, study in zip(run.personas, persona_columns(run), strict=True):
        status = persona_status(persona).text
        for who, section, claim_text, ev in quote_rows(persona):
            source, locator = cite(ev) if ev else ("", "")
            verdict = quote_verdict(ev) if ev else None
            rows.append(
                (
                    who.name,
                    status,
                    section,
                    claim_text,
                    ev.quote if ev else "",
                    source,
                    locator,
                    (ev.passage or "") if ev else "",
                    verdict.text if verdict else NO_QUOTE,
                    "; ".join(verdict.notes) if verdict else "",
                    *study,
                )
            )
    return rows


def to_csv(run: Run) -> str:
    """One row per quote (or per claim without one), for a spreadsheet.

    Returns text without a byte-order mark: :func:`export` encodes it as UTF-8 *with* one,
    so Excel shows accents. Cells that a spreadsheet would run as a formula get a leading
    apostrophe.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in quote_table(run):
        writer.writerow([_defuse(cell) for cell in row])
    return buffer.getvalue()


def changes_markdown(run: Run) -> str:
    """What the frontier model changed in each persona, field by field, for reading."""
    lines = [f"# What changed: {run.model} drafts refined by {run.frontier_model}", ""]
    for record in run.records:
        lines += [f"## {record.draft.name}", ""]
        if record.refined is None:
            lines += [record.refine_error or "Kept as drafted: it passed the quality gate.", ""]
            continue
        changes = field_changes(record.draft, record.refined)
        changed = [c for c in changes if c.status != "unchanged"]
        if not changed:
            lines += ["No changes.", ""]
        for change in changed:
            lines += [
                f"### {change.label} ({change.status})",
                "",
                f"- Before: {_inline(change.before) or '—'}",
                f"- After: {_inline(change.after) or '—'}",
                "",
            ]
    return "\n".join(lines)


def _markdown_claims(
    persona: Persona, passages: Sequence[Passage] | None, headings: Headings
) -> list[str]:
    lines: list[str] = []
    for section in CLAIM_SECTIONS:
        claims: list[Claim] = getattr(persona, section)
        if not claims:
            continue
        lines += ["", f"### {headings.section(section)}", ""]
        for claim in claims:
            lines.append(f"- {_inline(claim.text)}")
            quotes = [[_quote_line(ev), *_excerpt(ev, passages)] for ev in claim.evidence] or [
                [f"> {NO_QUOTE}"]
            ]
            for number, quote in enumerate(quotes):
                if number:
                    lines.append("  >")  # keeps each quote its own paragraph
                lines += [f"  {line}" for line in quote]
    return lines


def _quote_line(evidence: Evidence) -> str:
    source, locator = cite(evidence)
    where = ", ".join(part for part in (source, locator) if part)
    origin = f" — {where}" if where else ""
    verdict = quote_verdict(evidence)
    extra = "".join(f" · ⚠ {note}" for note in verdict.notes)
    return f'> "{_inline(evidence.quote)}"{origin} {verdict.text}{extra}'


def _excerpt(evidence: Evidence, passages: Sequence[Passage] | None) -> list[str]:
    """The quote's context as blockquote lines (the quoted passage in bold), if placed."""
    if not passages:
        return []
    source, locator = cite(evidence)
    found = quote_context(passages, evidence.quote, source, locator)
    if found is None:
        return []
    lines = [">", "> *In context:*"]
    for label, text, focus in short_excerpt(found):
        shown = f"**{escape_markdown(text)}**" if focus else escape_markdown(text)
        lines.append(f"> {escape_markdown(' '.join(label.split()))}: {shown}  ")
    return lines


def _inline(text: str) -> str:
    """``text`` on one line, so it cannot break a list item or a blockquote."""
    return " ".join(text.split())


def _defuse(cell: str) -> str:
    return f"'{cell}" if cell.startswith(_FORMULA_STARTS) else cell
