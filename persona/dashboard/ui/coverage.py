"""Who a run's personas represent (a participants × personas heatmap) and how alike they are."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from persona.api.display import escape_markdown
from persona.api.runs import measures
from persona.dashboard.ui.charts import spec_of
from persona.types import READABLE_ROWS, Coverage, Pair, Run

CELL_PX = 22
"""Height of a heatmap row: room for one line of 11 px labels, so labels never overlap."""
MIN_HEIGHT_PX = 2 * CELL_PX
EMPTY_CELL = "#f2f4f7"
"""A cell no quote falls in is light grey with a border, so it shows on a white page."""


def heatmap(cover: Coverage) -> alt.LayerChart:
    """Participants (or groups of them, see :meth:`Coverage.rows`) × the personas that count.

    The height follows the rows (at most :data:`READABLE_ROWS`), so it stays readable from one
    participant to thousands.
    """
    rows = cover.rows()
    names = [cover.personas[i] for i in cover.counted]
    cells = pd.DataFrame(
        [
            (row.label, name, cited, len(row.participants))
            for row in rows
            for name, cited in zip(names, row.cited, strict=True)
        ],
        columns=["Participant", "Persona", "Passages cited", "Participants"],
    )
    base = alt.Chart(cells).encode(
        x=alt.X(
            "Persona:N",
            sort=names,
            title=None,
            axis=alt.Axis(orient="top", labelAngle=-30, labelLimit=160, labelOverlap="greedy"),
        ),
        y=alt.Y(
            "Participant:N",
            sort=[row.label for row in rows],
            title=None,
            axis=alt.Axis(labelLimit=260, labelFontSize=11, labelOverlap="greedy"),
        ),
    )
    squares = base.mark_rect(stroke="#d0d5dd", strokeWidth=1).encode(
        color=alt.condition(
            alt.datum["Passages cited"] > 0,
            alt.Color(
                "Passages cited:Q", scale=alt.Scale(scheme="blues", domainMin=0), legend=None
            ),
            alt.value(EMPTY_CELL),
        ),
        tooltip=["Participant", "Participants", "Persona", "Passages cited"],
    )
    labels = base.mark_text(fontSize=11).encode(
        text=alt.condition(alt.datum["Passages cited"] > 0, "Passages cited:Q", alt.value("")),
        color=alt.value("black"),
    )
    height = max(MIN_HEIGHT_PX, CELL_PX * len(rows))
    chart: alt.LayerChart = (squares + labels).properties(height=height)
    return chart


@st.cache_data(max_entries=32, show_spinner=False)
def heatmap_spec(cover: Coverage) -> dict[str, Any]:
    """The :func:`heatmap` of ``cover`` as a Vega-Lite spec, built once per coverage."""
    return spec_of(heatmap(cover))


def render_study(run: Run, *, key: str) -> None:
    """The coverage heatmap, who is left out, each persona's share, and the overlap matrix."""
    if not run.records:
        return
    cover, distinct = measures(run)
    st.subheader("Who the personas represent")
    if not cover.known:
        st.caption(cover.summary)
        return
    if cover.counted:
        if len(cover.participants) > READABLE_ROWS:
            st.caption(
                f"{len(cover.participants):,} participants, shown in groups cited by the same "
                "personas."
            )
        st.vega_lite_chart(spec=heatmap_spec(cover), key=f"coverage_{key}")
    left_out = [cover.personas[i] for i in range(len(cover.personas)) if not cover.counts(i)]
    if left_out:
        st.caption(
            escape_markdown(f"Left out of the coverage (marked unusable): {', '.join(left_out)}.")
        )
    message = escape_markdown(cover.summary)
    if cover.missing:
        st.warning(message, icon=":material/person_off:")
    else:
        st.success(message, icon=":material/groups:")
    if not cover.counted:
        return
    st.dataframe(
        pd.DataFrame(
            {
                "Persona": [cover.personas[i] for i in cover.counted],
                "Share of the study": [cover.share(i) for i in cover.counted],
                "Represents": [", ".join(cover.represented(i)) for i in cover.counted],
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
