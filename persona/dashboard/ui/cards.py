"""Persona cards a researcher can scan, runs, and their downloads.

A card leads with the name, role and a one-line summary; goals, pain points, behaviours and
motivations follow as lists, each statement with its quote count. Quotes are one click away
(a pop-over per statement) or all shown at once ("Show all quotes"); every quote opens in
its context (:mod:`persona.dashboard.ui.quotes`). All text from files or a model is escaped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import streamlit as st

from persona import api
from persona.api.display import escape_markdown
from persona.api.exports import file_name
from persona.api.runs import distinct_names, group_warnings, split_warnings
from persona.api.verdicts import persona_status, quote_verdict
from persona.dashboard.ui.coverage import render_study
from persona.dashboard.ui.quotes import context_button, where
from persona.types import (
    CLAIM_SECTIONS,
    FORMAT_LABELS,
    FORMATS,
    MIME_TYPES,
    SECTION_TITLES,
    Claim,
    Evidence,
    ExportFormat,
    Passage,
    Persona,
    Run,
)

_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+")

STATUS_LABELS = {
    "complete": "✅ complete",
    "partial": "⚠️ finished with warnings",
    "failed": "❌ failed",
    "running": "⏳ running",
    "interrupted": "⏹️ interrupted",
}


def badge(evidence: Evidence) -> str:
    """The quote's verdict (:func:`persona.core.verdicts.quote_verdict`) with its mark."""
    return quote_verdict(evidence).text


def summary_line(bio: str) -> tuple[str, str]:
    """(first sentence, the rest) of a bio: the one-line summary leads the card."""
    parts = _SENTENCE.split(bio.strip(), maxsplit=1)
    return parts[0], parts[1] if len(parts) > 1 else ""


def render_evidence(evidence: Evidence, *, run_id: str | None, key: str) -> None:
    """A quote, where it came from, its verdict, and a way to read it in its context."""
    verdict = quote_verdict(evidence)
    st.markdown(
        f"> “{escape_markdown(evidence.quote)}”  \n> — {escape_markdown(where(evidence))} · "
        f"{verdict.text}"
    )
    for note in verdict.notes:
        st.caption(f"⚠️ {note[:1].upper()}{note[1:]}.")
    if verdict.found == "not found":
        st.caption(
            "This quote is not word for word in the uploaded files: the model may have "
            "paraphrased or invented it. Treat the statement with care."
        )
    if run_id is not None:
        context_button(evidence, run_id, key=key)


def _claim_line(claim: Claim) -> str:
    mark = "✅" if claim.supported else ("⚠️" if claim.evidence else "❔")
    count = len(claim.evidence)
    noun = "quote" if count == 1 else "quotes"
    return f"- {mark} {escape_markdown(claim.text)} :gray[· {count} {noun}]"


def render_persona(
    persona: Persona,
    *,
    key: str,
    run_id: str | None = None,
    show_quotes: bool = False,
    name: str | None = None,
) -> None:
    """A persona card: who they are first, then every statement with its quotes.

    ``name`` is the persona's name told apart from the others of its run (see
    :func:`persona.core.naming.distinct_names`)."""
    with st.container(border=True, key=f"card_{key}"):
        st.markdown(f"### {escape_markdown(name or persona.name)}")
        who = " · ".join(escape_markdown(p) for p in (persona.role, persona.age) if p.strip())
        st.markdown(f"**{who}**")
        status = persona_status(persona)
        if not status.usable:
            st.error(escape_markdown(status.title), icon=":material/block:")
        first, rest = summary_line(persona.bio)
        st.markdown(f"#### {escape_markdown(first)}")
        if rest:
            st.markdown(escape_markdown(rest))
        st.markdown(f"> “{escape_markdown(persona.quote.quote)}”")
        st.caption(f"{escape_markdown(where(persona.quote))} · {badge(persona.quote)}")
        if run_id is not None:
            context_button(persona.quote, run_id, key=f"{key}_quote")
        if persona.participants:
            names = ", ".join(escape_markdown(p) for p in persona.participants)
            st.caption(f"Based on: {names}")
        for section in CLAIM_SECTIONS:
            claims: list[Claim] = getattr(persona, section)
            if not claims:
                continue
            total = sum(len(c.evidence) for c in claims)
            noun = "quote" if total == 1 else "quotes"
            st.markdown(f"**{SECTION_TITLES[section]}** :gray[({total} {noun})]")
            for number, claim in enumerate(claims, start=1):
                st.markdown(_claim_line(claim))
                _claim_quotes(
                    claim, key=f"{key}_{section}_{number}", run_id=run_id, open_=show_quotes
                )


def _claim_quotes(claim: Claim, *, key: str, run_id: str | None, open_: bool) -> None:
    if not claim.evidence:
        st.caption("No quote supports this statement.")
        return
    if open_:
        for index, evidence in enumerate(claim.evidence):
            render_evidence(evidence, run_id=run_id, key=f"{key}_{index}")
        return
    count = len(claim.evidence)
    with st.popover(
        f"{count} quote" + ("" if count == 1 else "s"),
        icon=":material/format_quote:",
        type="tertiary",
        key=f"pop_{key}",
    ):
        for index, evidence in enumerate(claim.evidence):
            render_evidence(evidence, run_id=run_id, key=f"{key}_{index}")


def render_personas(personas: Sequence[Persona], *, key: str, run_id: str | None = None) -> None:
    """Cards side by side (up to three a row), with one switch to show every quote."""
    show = st.toggle("Show all quotes", key=f"expand_{key}", help="Open every statement's quotes.")
    columns = st.columns(min(len(personas), 3) or 1)
    names = distinct_names(p.name for p in personas)
    for index, persona in enumerate(personas):
        with columns[index % len(columns)]:
            render_persona(
                persona, key=f"{key}_{index}", run_id=run_id, show_quotes=show, name=names[index]
            )


def render_downloads(run: Run, *, key: str, passages: Sequence[Passage] | None = None) -> None:
    """Every export of the run side by side; each file is made when its button is pressed."""
    for column, fmt in zip(st.columns(len(FORMATS)), FORMATS, strict=True):
        column.download_button(
            f"Download {FORMAT_LABELS[fmt]}",
            _maker(run, fmt, passages),
            file_name=file_name(run, fmt),
            mime=MIME_TYPES[fmt],
            key=f"dl_{fmt}_{key}",
            icon=":material/download:",
            on_click="ignore",
        )


def _maker(run: Run, fmt: ExportFormat, passages: Sequence[Passage] | None) -> Callable[[], bytes]:
    """Makes the file only when its download button is pressed (a PDF takes a second)."""
    return lambda: api.export_file(run, fmt, passages=passages).data


def render_warnings(warnings: Sequence[str], *, failed: bool = False) -> None:
    """One line per kind of warning with its count; every detail in an expander."""
    groups = group_warnings(warnings)
    if not groups:
        return
    lines = "\n".join(f"- {escape_markdown(group.line)}" for group in groups)
    (st.error if failed else st.warning)(lines, icon=":material/warning:")
    details = [detail for group in groups for detail in group.details]
    if len(details) > len(groups) or any(g.line not in g.details for g in groups):
        with st.expander(f"Details ({len(details)})", icon=":material/list:"):
            for group in groups:
                st.markdown(f"**{escape_markdown(group.line)}**")
                st.markdown("\n".join(f"- {escape_markdown(d)}" for d in group.details))


def render_run(run: Run, *, key: str, passages: Sequence[Passage] | None = None) -> None:
    """A saved run: what it was, how it went, its personas and its exports."""
    files = ", ".join(f.name for f in run.files) or "no files"
    study = escape_markdown(run.study) if run.study else "no study"
    st.caption(
        f"{study} · {run.created_at.astimezone():%Y-%m-%d %H:%M} · {escape_markdown(run.model)}"
        + (f" on {escape_markdown(run.engine)}" if run.engine else "")
        + f" · {escape_markdown(files)} · {STATUS_LABELS.get(run.status, run.status)}"
    )
    if run.message:
        render_warnings(split_warnings(run.message), failed=run.status == "failed")
    if run.raw_answers:
        with st.expander(
            "The model's unusable answers (kept for inspection)", icon=":material/receipt_long:"
        ):
            for number, raw in enumerate(run.raw_answers, start=1):
                st.caption(f"Answer {number}")
                st.code(raw or "(empty)", language="json", wrap_lines=True)
    if not run.records:
        return
    st.info(run.summary.text, icon=":material/search:")
    render_downloads(run, key=key, passages=passages)
    render_personas(run.personas, key=key, run_id=run.id)
    render_study(run, key=key)
