"""Hybrid review: what the refinement spent, and what Claude changed in each persona."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from persona.api.display import escape_markdown
from persona.api.edits import field_changes
from persona.api.hybrid import FrontierSpend, dropped_text, overspend_text, unusable_text
from persona.dashboard.ui.cards import render_persona
from persona.dashboard.ui.edit import track_changes
from persona.types import NO_CHANGES, PersonaRecord, Run


def render_spend(run: Run, spend: FrontierSpend | None) -> None:
    """The total spend over every Send, against a frontier-only run, and a stop if any."""
    if spend is None:
        return
    st.caption(
        escape_markdown(
            f"{spend.summary} A frontier-only run would have cost about "
            f"${spend.frontier_only_usd:.4f}."
        )
    )
    if overspend := overspend_text(spend):
        st.info(escape_markdown(overspend), icon=":material/payments:")
    if spend.interrupted:
        st.warning(
            escape_markdown(run.message or "The refinement was stopped before it finished."),
            icon=":material/warning:",
        )


def render_changes(
    run: Run, index: int, record: PersonaRecord, spend: FrontierSpend | None
) -> bool:
    """What happened to persona ``index``: why it was not refined, or what Claude changed
    (track changes, a field table, side by side). True when there is a version to choose."""
    if record.refine_error:
        st.warning(escape_markdown(record.refine_error), icon=":material/warning:")
        return False
    if record.refined is None:
        st.caption("Kept as drafted (it passed the quality gate).")
        return False
    cost = spend.per_persona.get(index) if spend else None
    if cost and cost.dropped:
        st.warning(escape_markdown(dropped_text(cost.dropped)), icon=":material/link_off:")
    if unusable := unusable_text(record):
        st.error(escape_markdown(unusable), icon=":material/report:")
    if cost:
        billed = cost.tokens
        reads = billed.cache_read_tokens
        cached = f", {reads:,} of them read from the cache" if reads else ""
        st.caption(
            f"{billed.all_input:,} input{cached} + {billed.output_tokens:,} output tokens · "
            f"${cost.cost_usd:.4f}"
        )
    changed = field_changes(record.draft, record.refined)
    changes, table, side = st.tabs(["Track changes", "Field table", "Side by side"])
    with changes:
        track_changes(changed, nothing=NO_CHANGES)
    with table:
        st.dataframe(
            pd.DataFrame(
                [
                    {"Field": c.label, "Change": c.status, "Draft": c.before, "Refined": c.after}
                    for c in changed
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    with side:
        before, after = st.columns(2)
        with before:
            st.caption("Draft")
            render_persona(record.draft, key=f"hy_side_d_{index}", run_id=run.id)
        with after:
            st.caption("Refined by Claude")
            render_persona(record.refined, key=f"hy_side_r_{index}", run_id=run.id)
    return True
