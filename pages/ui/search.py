"""Full-text search across the current study's transcripts, each hit opening in context.

Hits are research text: file names, participants, locators and snippets are shown as
plain text (escaped; no Markdown, no HTML), like every quote.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from pages.ui.errors import show_error
from pages.ui.quotes import render_context
from pages.ui.resources import store
from pages.ui.text import safe, safe_line
from persona import api
from persona.core.context import quote_context
from persona.core.errors import PersonaError
from persona.history.study_search import Snippet

LIMIT = 50
"""Hits shown at most (the best first)."""


def render_search(study: str, *, key: str) -> None:
    """A search box over ``study``'s passages and its hits, best first."""
    query = st.text_input(
        f"Search “{safe_line(study)}”",
        key=f"{key}_query",
        placeholder="words, “a phrase”, or word*",
        help="Finds passages of the study's files that hold every word (a phrase in quotes "
        "matches as written; word* matches words that start with it). Runs on this machine.",
    )
    if not query.strip():
        return
    try:
        hits = api.search_study(study, query, limit=LIMIT, store=store())
    except PersonaError as exc:
        show_error(exc)
        return
    if not hits:
        st.info(f"No passage of “{safe_line(study)}” matches “{safe_line(query)}”.")
        return
    more = " (the best shown)" if len(hits) >= LIMIT else ""
    st.caption(f"{len(hits)} passage{'s' if len(hits) != 1 else ''} found{more}.")
    for number, hit in enumerate(hits):
        with st.container(border=True):
            who = f" · {hit.participant}" if hit.participant else ""
            role = "" if hit.citable else " · context, not evidence"
            st.caption(safe(f"{hit.file} · {hit.locator}{who}{role}"))
            st.markdown(marked(hit.snippet))
            if st.button(
                "Read in context",
                key=f"{key}_hit_{number}",
                icon=":material/article:",
                type="tertiary",
            ):
                show_hit(study, hit.file, hit.locator, hit.text)


def marked(snippet: Sequence[Snippet]) -> str:
    """A hit's snippet as Markdown that shows its text literally, the words searched for
    highlighted (the one piece of markup is ours)."""
    return "".join(
        f":orange-background[{safe(flat)}]" if piece.matched else safe(flat)
        for piece in snippet
        if (flat := " ".join(piece.text.splitlines()))
    )


@st.dialog("Passage in context", width="large")
def show_hit(study: str, source: str, locator: str, text: str) -> None:
    """The passage found, highlighted among those around it (read from the study's files)."""
    try:
        passages = api.study_reading(study, store=store()).passages
    except PersonaError as exc:
        show_error(exc)
        return
    found = quote_context(passages, text, source, locator)
    if found is None:
        st.warning(
            "This passage is no longer in the study's files (a file was removed or replaced "
            "since the search). Search again.",
            icon=":material/search_off:",
        )
        return
    render_context(found)
