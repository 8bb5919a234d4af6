"""Hybrid preview: the quality gate's verdicts, the cost of the send plan, and exactly what
would be sent, with every pseudonym highlighted."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from persona.api.display import escape_markdown
from persona.api.hybrid import (
    Redactor,
    cap_text,
    costs_more_text,
    gate_reasons,
    gate_verdict,
    replaced_text,
    withheld_text,
)
from persona.dashboard.ui.text import safe_line
from persona.types import Preview


def highlighted(text: str, redactor: Redactor) -> str:
    """``text`` as Markdown that shows every pseudonym highlighted and everything else as is."""
    return "".join(
        f":orange-background[{escape_markdown(piece)}]" if hidden else escape_markdown(piece)
        for piece, hidden in redactor.segments(text)
    )


def render_gate(preview: Preview) -> None:
    """Each draft's score, why, and whether it is sent, with its estimated cost."""
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Persona": item.name,
                    "Score": f"{item.score.value:.0f}/100",
                    "Why": gate_reasons(item),
                    "Send to Claude": gate_verdict(item),
                    "≈ Input tokens": item.input_tokens,
                    "≈ Cost (USD)": f"{item.cost.usd:.4f}",
                }
                for item in preview.items
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def render_cost(preview: Preview) -> None:
    """The estimate, its ceiling under the cap, the frontier-only comparison and the cache."""
    price_note = " (price unknown: assumed the highest)" if preview.frontier_only.assumed else ""
    cap = f"your {cap_text(preview)}" if preview.cap_usd is not None else cap_text(preview)
    st.metric(
        "Estimated cost of this refinement",
        f"${preview.estimated_usd:.4f}",
        help=f"At most ${preview.ceiling_usd:.4f} ({cap}): every answer at its longest, with "
        f"one repair{price_note}. Estimates are made on this machine.",
    )
    st.caption(
        f"At most ${preview.ceiling_usd:.4f} ({cap}). A frontier-only run on all your data "
        f"would cost about ${preview.frontier_only.usd:.4f}."
    )
    if preview.cache_note:
        st.caption(escape_markdown(preview.cache_note))
    if costs_more := costs_more_text(preview):
        st.warning(escape_markdown(costs_more), icon=":material/payments:")


def render_redaction(preview: Preview) -> None:
    """What redaction replaced, what is withheld, and the exact text of each payload."""
    st.caption(f"Replaced in what is sent: {replaced_text(preview)} (highlighted below).")
    st.caption(
        "Sent for each draft: its claims with the IDs of the passages they cite, and those "
        "passages. Claude may reword, re-assign or drop citations among them, never type a "
        "quote. An unusable draft is sent with the problems Persona found, to have them repaired."
    )
    if withheld := withheld_text(preview):
        st.caption(withheld)
    for item in preview.selected:
        with st.expander(
            f"Exactly what is sent for {safe_line(item.name)} ({item.how})",
            icon=":material/visibility:",
        ):
            marked, exact = st.tabs(["Highlighted", "Exact text"])
            with marked:
                st.markdown(highlighted(item.payload, preview.redactor))
            with exact:
                st.code(item.payload, language=None, wrap_lines=True)
