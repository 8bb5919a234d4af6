"""Altair charts drawn from their Vega-Lite spec, so a rerun does not rebuild them.

``st.altair_chart`` turns the chart into its Vega-Lite spec on every rerun, and Altair checks
the chart against the Vega-Lite JSON schema as it is built and again as it is converted: a
few hundred milliseconds per chart on every page switch to History or Hardware & models.
A chart's spec depends only on the data it is built from, so the modules that draw one cache
the spec (:func:`spec_of`) with ``st.cache_data`` keyed by that data (other data is another
key: nothing to invalidate) and draw it with ``st.vega_lite_chart``. ``st.cache_data`` hands
out a copy each time, so Streamlit may take the data out of the spec it is given.
"""

from __future__ import annotations

from typing import Any

import altair as alt

ALTAIR_VIEW_DEFAULTS = ("continuousWidth", "continuousHeight")
"""Sizes Altair's default theme puts in every spec; Streamlit leaves them out of the charts
it converts itself (the page decides the width)."""


def spec_of(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The Vega-Lite spec of ``chart`` (its data inline), as ``st.altair_chart`` would send."""
    spec: dict[str, Any] = chart.to_dict()
    view = spec.get("config", {}).get("view", {})
    for name in ALTAIR_VIEW_DEFAULTS:
        view.pop(name, None)
    if "view" in spec.get("config", {}) and not view:
        del spec["config"]["view"]
    if "config" in spec and not spec["config"]:
        del spec["config"]
    return spec
