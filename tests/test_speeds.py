"""Measured model speed from the runs in History."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from persona.core.records import Run
from persona.history.speeds import expected_speed, measured_speed, speed_hint
from persona.history.store import Store


def saved(store: Store, model: str, status: str = "complete", **usage: float) -> None:
    run = Run(model=model, status=status, usage=usage)  # type: ignore[arg-type]
    store.save(run)


def test_no_runs_means_no_measurement(tmp_path: Path) -> None:
    assert measured_speed(Store(tmp_path / "h.sqlite3"), "llama3.2:3b") is None


def test_rates_add_up_over_runs_of_that_model_only(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.sqlite3")
    saved(store, "m", prompt_tokens=1000, answer_tokens=200, seconds=12, answer_seconds=10)
    saved(store, "m", prompt_tokens=3000, answer_tokens=600, seconds=36, answer_seconds=30)
    saved(store, "other", prompt_tokens=10, answer_tokens=10, seconds=100, answer_seconds=99)
    saved(store, "m", prompt_tokens=50, answer_tokens=0, seconds=3)  # failed before writing
    speed = measured_speed(store, "m")
    assert speed is not None and speed.runs == 2
    assert speed.output_tokens_per_second == pytest.approx(800 / 40)
    assert speed.prompt_tokens_per_second == pytest.approx(4000 / 8)
    assert speed.seconds_for(500, 100) == pytest.approx(500 / 500 + 100 / 20)


def test_without_a_split_the_whole_call_counts_as_writing(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.sqlite3")
    saved(store, "m", prompt_tokens=400, answer_tokens=100, seconds=10)
    speed = measured_speed(store, "m")
    assert speed is not None
    assert speed.output_tokens_per_second == pytest.approx(10)
    assert speed.seconds_for(10_000, 100) == pytest.approx(10)


def test_speed_hint_measured_scaled_or_unknown(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.sqlite3")
    assert "No runs in History yet" in speed_hint(store, "big", 8_000_000_000, {})
    saved(store, "small", prompt_tokens=100, answer_tokens=400, seconds=12, answer_seconds=10)
    assert "about 40 tokens per second (measured over 1 run" in speed_hint(store, "small", None, {})
    scaled = speed_hint(store, "big", 8_000_000_000, {"small": 2_000_000_000})
    assert "about 10 tokens per second" in scaled and "estimated from small" in scaled


def test_a_model_never_run_here_gets_a_cautious_guess_by_size(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.sqlite3")
    tiny = expected_speed(store, "smollm2", 135_000_000)
    big = expected_speed(store, "llama3.1:8b", 8_000_000_000)
    unknown = expected_speed(None, "mystery", None)
    assert not tiny.measured and not big.measured
    assert tiny.output_tokens_per_second == pytest.approx(8.0 / 0.135)
    assert big.output_tokens_per_second == pytest.approx(1.0)
    assert unknown == replace(big, model="mystery")  # an unknown size is guessed big: slow
    assert tiny.seconds_for(2000, 1500) < big.seconds_for(2000, 1500)


def test_once_measured_the_guess_is_gone(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.sqlite3")
    saved(store, "m", prompt_tokens=1000, answer_tokens=200, seconds=12, answer_seconds=10)
    speed = expected_speed(store, "m", 135_000_000)
    assert speed.measured and speed.output_tokens_per_second == pytest.approx(20)
