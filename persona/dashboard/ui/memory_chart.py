"""The chart of the memory each model needs against what this machine can give."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from persona.api.display import format_bytes
from persona.dashboard.ui.charts import spec_of
from persona.types import GB, Hardware


def memory_chart(chart_rows: list[dict[str, Any]], machine: Hardware) -> None:
    """Bars (``model``, ``needed_gb``, ``kind``, ``verdict``) and the usable-memory line."""
    st.vega_lite_chart(spec=memory_spec(chart_rows, machine.usable_memory), width="stretch")
    st.caption(
        f"Dashed line: {format_bytes(machine.usable_memory)} of {machine.memory_kind} usable for "
        "models. Estimates = weights + context cache + 0.5 GB overhead."
    )


@st.cache_data(max_entries=32, show_spinner=False)
def memory_spec(chart_rows: list[dict[str, Any]], usable_memory: int) -> dict[str, Any]:
    """The chart's Vega-Lite spec, built once per rows and usable memory."""
    data = pd.DataFrame(chart_rows)
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("needed_gb:Q", title="Estimated memory (GB, 4k context)"),
            y=alt.Y("model:N", sort="-x", title=None),
            color=alt.Color(
                "verdict:N",
                scale=alt.Scale(
                    domain=["fits", "tight", "won't fit"], range=["#12b76a", "#f79009", "#f04438"]
                ),
                title="Fit",
            ),
            tooltip=["model", alt.Tooltip("needed_gb:Q", format=".1f"), "verdict", "kind"],
        )
    )
    limit = (
        alt.Chart(pd.DataFrame({"gb": [usable_memory / GB]}))
        .mark_rule(color="#101828", strokeDash=[6, 4], size=2)
        .encode(x="gb:Q")
    )
    return spec_of(bars + limit)
