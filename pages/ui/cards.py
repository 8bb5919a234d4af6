"""Persona cards, runs and their downloads."""

from __future__ import annotations

import html

import streamlit as st

from persona.core.records import Run
from persona.core.schema import CLAIM_SECTIONS, Evidence, Persona
from persona.history.export import SECTION_TITLES, export


def _badge(evidence: Evidence) -> str:
    if evidence.verified is True:
        return "✅ found in your data"
    if evidence.verified is False:
        return "⚠️ not found in your data"
    return "… not checked yet"


def _where(evidence: Evidence) -> str:
    source = evidence.matched_source or evidence.source
    locator = evidence.matched_locator or evidence.locator
    return ", ".join(part for part in (source, locator) if part) or "source not given"


def render_evidence(evidence: Evidence, *, usable: bool = True) -> None:
    """A quote, its badge, and (on click) the passage it was found in."""
    badge = _badge(evidence) if usable else "not evidence: the persona is unusable"
    st.markdown(f"> “{html.escape(evidence.quote)}”  \n> — {_where(evidence)} · {badge}")
    if evidence.weak_support:
        st.caption("⚠️ Weak support: this quote shares little with the claim it is cited for.")
    if evidence.verified and evidence.matched_text:
        with st.popover("Show the passage", icon=":material/search:"):
            st.caption(_where(evidence))
            st.write(evidence.matched_text)
    elif evidence.verified is False:
        st.caption(
            "This quote was not found in the uploaded files: the model may have paraphrased or "
            "invented it. Treat the claim with care."
        )


def render_persona(persona: Persona, *, key: str) -> None:
    """A persona card: who they are, their quote, and every claim with its evidence."""
    with st.container(border=True, key=f"card_{key}"):
        st.subheader(persona.name)
        st.caption(f"{persona.role} · {persona.age}")
        if persona.unusable:
            st.error("Unusable: " + "; ".join(persona.unusable), icon=":material/block:")
        st.markdown(f"### “{html.escape(persona.quote.quote)}”")
        usable = not persona.unusable
        st.caption(f"{_where(persona.quote)} · {_badge(persona.quote) if usable else 'unusable'}")
        st.write(persona.bio)
        if persona.participants:
            st.caption("Based on: " + ", ".join(persona.participants))
        for section in CLAIM_SECTIONS:
            claims = getattr(persona, section)
            if not claims:
                continue
            st.markdown(f"**{SECTION_TITLES[section]}**")
            for number, claim in enumerate(claims, start=1):
                checked = [e.verified and not e.weak_support for e in claim.evidence]
                mark = "✅" if usable and checked and all(checked) else ("⚠️" if checked else "❔")
                with st.expander(f"{mark} {claim.text}", key=f"{key}_{section}_{number}"):
                    if not claim.evidence:
                        st.caption("No quote supports this claim.")
                    for evidence in claim.evidence:
                        render_evidence(evidence, usable=usable)


STATUS_LABELS = {
    "complete": "✅ complete",
    "partial": "⚠️ finished with warnings",
    "failed": "❌ failed",
    "running": "⏳ running",
    "interrupted": "⏹️ interrupted",
}


def render_downloads(run: Run, *, key: str) -> None:
    """JSON, Markdown and CSV of the run, side by side."""
    cols = st.columns(3)
    for col, (fmt, label) in zip(
        cols, (("json", "JSON"), ("md", "Markdown"), ("csv", "CSV")), strict=True
    ):
        name, data, mime = export(run, fmt)
        col.download_button(
            f"Download {label}",
            data,
            file_name=name,
            mime=mime,
            key=f"dl_{fmt}_{key}",
            icon=":material/download:",
            on_click="ignore",
        )


def render_run(run: Run, *, key: str) -> None:
    """A saved run: what it was, how it went, its personas and its exports."""
    files = ", ".join(f.name for f in run.files) or "no files"
    st.caption(
        f"{run.created_at:%Y-%m-%d %H:%M} UTC · {run.model} · {files} · "
        f"{STATUS_LABELS.get(run.status, run.status)}"
    )
    if run.message:
        (st.error if run.status == "failed" else st.warning)(run.message)
    if run.raw_answers:
        with st.expander(
            "The model's unusable answers (kept for inspection)", icon=":material/receipt_long:"
        ):
            for number, raw in enumerate(run.raw_answers, start=1):
                st.caption(f"Answer {number}")
                st.code(raw or "(empty)", language="json", wrap_lines=True)
    if not run.records:
        return
    st.info(run.verified_summary, icon=":material/search:")
    render_downloads(run, key=key)
    columns = st.columns(min(len(run.records), 3))
    for index, record in enumerate(run.records):
        with columns[index % len(columns)]:
            render_persona(record.current, key=f"{key}_{index}")
