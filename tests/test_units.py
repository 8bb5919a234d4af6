"""Sizes, durations and progress details as people read them (pages and terminal alike)."""

from __future__ import annotations

import pytest

from persona.core.progress import Progress
from persona.core.units import format_bytes, format_duration

GIB = 1024**3


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (7_400_000_000, "7.4 GB"),
        (16 * GIB, "17.2 GB"),
        (1_000_000_000, "1.0 GB"),
        (999_999_999, "1000 MB"),
        (512_000_000, "512 MB"),
        (0, "0 MB"),
        (48.5e9, "48.5 GB"),
    ],
)
def test_format_bytes(n: int | float, text: str) -> None:
    assert format_bytes(n) == text


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0:00"), (65.9, "1:05"), (3599, "59:59"), (3720, "1h02m")]
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_a_download_shows_amount_rate_and_time_left() -> None:
    event = Progress(
        "pull",
        "Downloading",
        fraction=0.25,
        completed=1_000_000_000,
        total=4_000_000_000,
        unit="bytes",
        rate=25_000_000,
        eta=125,
    )
    assert event.details() == ["25%", "1.0 GB of 4.0 GB", "25 MB/s", "about 2:05 left"]


def test_steps_show_only_what_is_known() -> None:
    assert Progress("generate", "Reading part 2 of 4", fraction=1.7).details() == ["100%"]
    assert Progress("start", "Starting").details() == []
    counted = Progress("generate", "Parts", fraction=0.5, completed=2, total=4, unit="chunks")
    assert counted.details() == ["50%"], "only bytes show amounts"
