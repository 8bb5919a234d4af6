"""Charts drawn from cached Vega-Lite specs: the spec follows the data, never a stale chart."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import pytest

from persona.core.coverage import coverage, speakers
from persona.core.units import GB
from persona.dashboard.ui.charts import ALTAIR_VIEW_DEFAULTS, spec_of
from persona.dashboard.ui.coverage import heatmap, heatmap_spec
from persona.dashboard.ui.memory_chart import memory_spec
from tests.test_coverage import big_study

pytestmark = pytest.mark.usefixtures("empty_caches")


def cells(spec: dict[str, Any]) -> list[dict[str, Any]]:
    [values] = spec["datasets"].values()
    return list(values)


def test_a_spec_is_the_charts_own_without_altairs_default_sizes() -> None:
    chart = alt.Chart(pd.DataFrame({"x": [1, 2]})).mark_bar().encode(x="x:Q")
    assert chart.to_dict()["config"]["view"]  # what Altair's default theme adds
    spec = spec_of(chart)
    view = spec.get("config", {}).get("view", {})
    assert not any(name in view for name in ALTAIR_VIEW_DEFAULTS)
    assert spec["mark"] == {"type": "bar"} and cells(spec) == [{"x": 1}, {"x": 2}]


def test_the_heatmap_spec_follows_the_coverage_it_shows() -> None:
    study, personas = big_study(6)
    before = coverage(personas, speakers(study))
    after = coverage(personas[:2], speakers(study))  # a persona fewer: another chart
    first = heatmap_spec(before)
    assert heatmap_spec(before) == first  # the same coverage: the same spec
    second = heatmap_spec(after)
    assert second == spec_of(heatmap(after))
    assert {c["Persona"] for c in cells(second)} == {"Anna Berg", "Ben Cole"}
    assert {c["Persona"] for c in cells(first)} == {"Anna Berg", "Ben Cole", "Cleo Diaz"}


def test_a_handed_out_spec_can_be_changed_without_changing_the_cache() -> None:
    study, personas = big_study(3)
    cover = coverage(personas, speakers(study))
    spec = heatmap_spec(cover)
    spec.pop("datasets")  # what Streamlit does with the spec it is given
    assert "datasets" in heatmap_spec(cover)


ROWS = [
    {"model": "llama3.2:3b", "needed_gb": 2.9, "kind": "installed", "verdict": "fits"},
    {"model": "qwen2.5:14b", "needed_gb": 9.8, "kind": "recommended tiers", "verdict": "tight"},
]


def line_gb(spec: dict[str, Any]) -> float:
    """Where the usable-memory line is drawn."""
    [rule] = [layer for layer in spec["layer"] if layer["mark"]["type"] == "rule"]
    [values] = [spec["datasets"][rule["data"]["name"]]]
    return float(values[0]["gb"])


def test_the_memory_chart_follows_the_models_and_the_memory() -> None:
    small = memory_spec(ROWS, 8 * GB)
    assert line_gb(small) == 8.0
    assert line_gb(memory_spec(ROWS, 16 * GB)) == 16.0  # more memory: the line moves
    fewer = memory_spec(ROWS[:1], 8 * GB)  # a model removed: its bar goes
    bars = [layer for layer in fewer["layer"] if layer["mark"]["type"] == "bar"]
    assert [v["model"] for v in fewer["datasets"][bars[0]["data"]["name"]]] == ["llama3.2:3b"]
