"""Hybrid Send: the review before it, and Claude's refinement in the background.

The refinement runs as a job (:mod:`persona.dashboard.ui.jobs`): progress and Stop on the
page, surviving reruns and page changes. Stop ends it after the request in flight (already
paid for): what was refined is saved, and the run records what was spent and that it was
stopped (:func:`persona.api.hybrid.refine` does both however it ends).
"""

from __future__ import annotations

import streamlit as st

from persona.api.display import escape_markdown
from persona.api.hybrid import NOTHING_TO_REFINE, FrontierClient, prepare, refine
from persona.core.errors import PersonaError
from persona.dashboard.ui.errors import failed, show_error
from persona.dashboard.ui.hybrid_consent import consent_box, use_consent
from persona.dashboard.ui.hybrid_preview import render_cost, render_gate, render_redaction
from persona.dashboard.ui.jobs import finish_job, follow_job, start_job
from persona.dashboard.ui.resources import store
from persona.types import ON_THIS_MACHINE, Document, Preview, Run

JOB = "hybrid_refine"


def review_and_send(
    run: Run,
    documents: list[Document],
    *,
    model: str,
    threshold: float,
    refine_all: bool,
    cap_usd: float,
    key: str | None,
    where: str,
) -> None:
    """Score, show exactly what would be sent and its cost; send only after consent. While a
    refinement runs, its progress and Stop instead (nothing below is drawn meanwhile)."""
    follow_refine()  # returns when no refinement runs (and reruns when one just ended)
    report_refine()
    try:
        preview = prepare(
            run, documents, model=model, threshold=threshold, refine_all=refine_all, cap_usd=cap_usd
        )
    except PersonaError as exc:
        show_error(exc)
        return
    render_gate(preview)
    render_redaction(preview)
    render_cost(preview)
    if not preview.selected:
        st.success(NOTHING_TO_REFINE)
        return
    if where != ON_THIS_MACHINE:
        st.caption(f"Your study already went to the engine {where} to make the drafts.")
    if preview.over_budget:
        st.warning(
            escape_markdown(f"Nothing can be sent: {preview.over_budget}"),
            icon=":material/money_off:",
        )
    consented = consent_box(preview)
    if not key:
        st.warning("Enter an Anthropic API key above to refine.", icon=":material/key:")
    send = st.button(
        f"Send {len(preview.selected)} to Claude",
        type="primary",
        disabled=not (consented and key) or bool(preview.over_budget),
        help=f"Nothing can be sent: {preview.over_budget}" if preview.over_budget else None,
        key="hy_send",
        icon=":material/cloud_upload:",
    )
    if send and key:
        start_refine(run, preview, key)


def start_refine(run: Run, preview: Preview, key: str) -> None:
    """Start Claude's refinement of ``preview`` in the background, under this Send's consent."""
    consent = use_consent()  # consent is per Send
    try:
        frontier = FrontierClient(key)
    except PersonaError as exc:
        show_error(exc)
        return
    steps = refine(run, preview, frontier, store(), consent=consent)
    start_job(JOB, lambda: steps)
    st.rerun()  # the page shows the refinement's progress and Stop


def follow_refine() -> None:
    """The refinement in progress, live: each step, elapsed time and Stop."""
    follow_job(
        JOB,
        label="Refining with Claude…",
        stop_help="Stops after the request in flight, which is already paid for: what was "
        "refined is kept, and History records what was spent.",
    )


def report_refine() -> None:
    """How the refinement that just ended went, once (its results are in History)."""
    job = finish_job(JOB)
    if job is None:
        return
    stopped = job.state == "stopped"  # a stop is told with the spend below
    if not failed(job) and not stopped and job.steps:
        st.success(escape_markdown(job.steps[-1].message), icon=":material/check:")
