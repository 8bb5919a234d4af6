"""Who a run's personas represent (a participants × personas heatmap) and how alike they are."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from persona.core.overlap import Pair
from persona.core.records import Run
from persona.core.safe_text import escape_markdown
from persona.history.study_report import measures

CELL_PX = 22


def render_study(run: Run, *, key: str) -> None:
    """The coverage heatmap, who is left out, each persona's share, and the overlap matrix."""
    if not run.records:
        return
    cover, distinct = measures(run)
    st.subheader("Who the personas represent")
    if not cover.known:
        st.caption(cover.summary)
        return
    cells = pd.DataFrame(cover.cells(), columns=["Participant", "Persona", "Passages cited"])
    heatmap = (
        alt.Chart(cells)
        .mark_rect(stroke="white")
        .encode(
            x=alt.X("Persona:N", sort=list(cover.personas), title=None),
            y=alt.Y("Participant:N", sort=list(cover.participants), title=None),
            color=alt.Color(
                "Passages cited:Q", scale=alt.Scale(scheme="blues", domainMin=0), legend=None
            ),
            tooltip=["Participant", "Persona", "Passages cited"],
        )
    )
    labels = heatmap.mark_text(fontSize=11).encode(
        text=alt.condition(alt.datum["Passages cited"] > 0, "Passages cited:Q", alt.value("")),
        color=alt.value("black"),
    )
    height = max(80, CELL_PX * len(cover.participants))
    st.altair_chart((heatmap + labels).properties(height=height), key=f"coverage_{key}")
    message = escape_markdown(cover.summary)
    if cover.missing:
        st.warning(message, icon=":material/person_off:")
    else:
        st.success(message, icon=":material/groups:")
    st.dataframe(
        pd.DataFrame(
            {
                "Persona": list(cover.personas),
                "Share of the study": [cover.share(i) for i in range(len(cover.personas))],
                "Represents": [", ".join(cover.represented(i)) for i in range(len(cover.personas))],
            }
        ),
        column_config={
            "Share of the study": st.column_config.ProgressColumn(
                format="percent", min_value=0.0, max_value=1.0
            )
        },
        hide_index=True,
        width="stretch",
        key=f"shares_{key}",
    )
    if len(distinct.personas) < 2:
        return
    st.markdown("**How alike the personas are**")
    names = list(distinct.personas)
    matrix = pd.DataFrame(
        [
            ["—" if i == j else _overlap_cell(distinct.pair(i, j)) for j in range(len(names))]
            for i in range(len(names))
        ],
        index=pd.Index(names),
        columns=pd.Index(names),
    )
    st.dataframe(matrix, width="stretch", key=f"overlap_{key}")
    st.caption(
        "Similarity of roles, goals and pain points (0–100 %) and the participants both cite."
    )
    (st.warning if distinct.too_alike else st.caption)(escape_markdown(distinct.summary))


def _overlap_cell(pair: Pair | None) -> str:
    if pair is None:
        return ""
    flag = " ⚠" if pair.too_alike else ""
    return f"{pair.similarity:.0f}% · {len(pair.shared)} shared{flag}"
