"""A quote in its context: a dialog with the passage and what surrounds it, quote highlighted.

The research text comes from the run's study (its files are kept on this machine), the copy
kept with the run, or files the user uploads again in the dialog; otherwise the dialog says so.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from persona import api
from persona.api.display import escape_markdown, quote_context
from persona.api.reading import choices_from_options
from persona.api.verdicts import cite
from persona.core.errors import PersonaError
from persona.dashboard.ui.resources import store
from persona.types import ContextLine, Evidence, Passage, QuoteContext, Run

CONTEXT_PASSAGES = "context_passages_{}"
"""Session-state key (per run ID) of a run's passages re-uploaded for context or the chat."""


def where(evidence: Evidence) -> str:
    """Where the quote is (see :func:`persona.core.verdicts.cite`), as one line."""
    return ", ".join(part for part in cite(evidence) if part) or "source not given"


def context_button(evidence: Evidence, run_id: str, *, key: str) -> None:
    """A small button that opens ``evidence`` in its context."""
    if st.button("Read in context", key=f"ctx_{key}", icon=":material/article:", type="tertiary"):
        show_context(evidence.model_dump(), run_id)


def passages_for(run: Run) -> list[Passage] | None:
    """The research text of ``run``, if it is on hand: re-uploaded here, kept with the run,
    or in the run's study."""
    uploaded = st.session_state.get(CONTEXT_PASSAGES.format(run.id))
    if uploaded is not None:
        return list(uploaded)
    return api.study_passages(run, store=store())


@st.dialog("Quote in context", width="large")
def show_context(evidence_data: dict[str, Any], run_id: str) -> None:
    evidence = Evidence.model_validate(evidence_data)
    try:
        run = store().get(run_id)
    except PersonaError as exc:
        st.error(escape_markdown(str(exc)), icon=":material/warning:")
        return
    passages = passages_for(run)
    if passages is None:
        _offer_upload(run)
        return
    source = evidence.matched_source or evidence.source
    locator = evidence.matched_locator or evidence.locator
    found = quote_context(passages, evidence.quote, source, locator)
    if found is None:
        st.warning(
            f"“{escape_markdown(evidence.quote)}” was not found in the research text, so it has "
            "no context to show: the model may have paraphrased or invented it.",
            icon=":material/search_off:",
        )
        return
    render_context(found)


def render_context(context: QuoteContext) -> None:
    """The question, the surrounding passages and the quote highlighted; all text escaped."""
    st.caption(escape_markdown(f"{context.source} · {context.locator}"))
    if context.question:
        st.markdown(f"**Question asked:** {escape_markdown(_flat(context.question))}")
    if context.kind == "survey":
        st.markdown("**This respondent's answers**")
    for line in context.lines:
        with st.container(border=line.focus, key=None):
            st.markdown(f":gray[{escape_markdown(_flat(line.label))}]  \n{_highlighted(line)}")
    if context.about:
        st.caption("About the respondent: " + escape_markdown(_flat(context.about)))


def _highlighted(line: ContextLine) -> str:
    text = line.passage.text
    if not line.spans:
        shown = escape_markdown(text)
        return f"**{shown}**" if line.focus else shown
    parts, at = [], 0
    for start, end in line.spans:
        parts.append(escape_markdown(text[at:start]))
        parts.append(f":orange-background[{escape_markdown(_flat(text[start:end]))}]")
        at = end
    parts.append(escape_markdown(text[at:]))
    return "".join(parts)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _offer_upload(run: Run) -> None:
    """No research text on hand: say so, and read the run's files if the user uploads them."""
    names = ", ".join(f.name for f in run.files) or "its files"
    st.info(
        "The research text of this run is not on this machine any more (History keeps it "
        f"only when you ask it to). Upload {escape_markdown(names)} again to read the quote "
        "in its context; nothing is saved.",
        icon=":material/upload_file:",
    )
    uploads = st.file_uploader(
        "The run's files", accept_multiple_files=True, key=f"context_upload_{run.id}"
    )
    if not uploads:
        return
    reading = api.read_uploads(
        [(f.name, f.getvalue()) for f in uploads],
        choices=choices_from_options({"columns": run.options.columns}),
        interviewers=run.options.interviewers,
    )
    wanted = {f.sha256: f.name for f in run.files}
    matching = [d for d in reading.documents if d.sha256 in wanted]
    if not matching:
        st.error(
            "None of these files is one the run read (their contents differ). Upload "
            f"{escape_markdown(names)}.",
            icon=":material/error:",
        )
        return
    st.session_state[CONTEXT_PASSAGES.format(run.id)] = [p for d in matching for p in d.passages]
    st.rerun(scope="fragment")
