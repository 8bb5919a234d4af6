"""Pull progress: aggregated over layers, monotonic, with rate and ETA."""

from __future__ import annotations

import pytest

from persona.engines.ollama import PullChunk, PullTracker
from persona.engines.ollama.pull import track_pull


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def layer(digest: str, completed: int | None, total: int | None) -> PullChunk:
    return PullChunk(status=f"pulling {digest}", digest=digest, completed=completed, total=total)


def test_aggregates_interleaved_layers():
    tracker = PullTracker("m", clock=Clock())
    tracker.update(layer("a", 0, 100))
    tracker.update(layer("b", 0, 300))
    tracker.update(layer("a", 50, 100))
    progress = tracker.update(layer("b", 100, 300))
    assert (progress.completed, progress.total) == (150, 400)
    assert progress.fraction == pytest.approx(150 / 400)


def test_percent_never_goes_backwards_when_a_layer_appears():
    tracker = PullTracker("m", clock=Clock())
    first = tracker.update(layer("a", 90, 100))
    second = tracker.update(layer("b", 0, 900))  # total grows: 90/1000 would be a step back
    assert first.fraction == pytest.approx(0.9)
    assert second.fraction == pytest.approx(0.9)


def test_missing_fields_keep_previous_values():
    tracker = PullTracker("m", clock=Clock())
    tracker.update(layer("a", 40, 100))
    progress = tracker.update(layer("a", None, None))
    assert (progress.completed, progress.total) == (40, 100)


def test_layer_without_any_numbers_counts_zero():
    progress = PullTracker("m", clock=Clock()).update(layer("a", None, None))
    assert progress.total is None and progress.completed == 0 and progress.fraction == 0.0


def test_rate_and_eta_from_clock():
    clock = Clock()
    tracker = PullTracker("m", clock=clock)
    tracker.update(layer("a", 0, 1000))
    clock.now = 2.0
    progress = tracker.update(layer("a", 200, 1000))
    assert progress.rate == pytest.approx(100.0)
    assert progress.eta == pytest.approx(8.0)


def test_rate_window_forgets_old_samples():
    clock = Clock()
    tracker = PullTracker("m", clock=clock)
    tracker.update(layer("a", 0, 10_000))
    for second in range(1, 11):
        clock.now = float(second)
        # fast at first, then 10 bytes/s
        done = 5000 if second <= 2 else 5000 + (second - 2) * 10
        progress = tracker.update(layer("a", done, 10_000))
    assert progress.rate == pytest.approx(10.0)


def test_success_completes_and_says_ready():
    tracker = PullTracker("llama3.2:3b", clock=Clock())
    tracker.update(layer("a", 10, 100))
    progress = tracker.update(PullChunk(status="success"))
    assert progress.fraction == 1.0 and progress.percent == 100
    assert progress.message == "llama3.2:3b is ready"


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("pulling manifest", "Looking up m"),
        ("pulling 1a2b3c4d5e6f", "Downloading m"),
        ("verifying sha256 digest", "Checking the download"),
        ("writing manifest", "Installing"),
        ("something new", "Something new"),
    ],
)
def test_messages(status, message):
    assert PullTracker("m", clock=Clock()).update(PullChunk(status=status)).message == message


def test_track_pull_closes_source_when_closed():
    closed = []

    def source():
        try:
            yield PullChunk(status="pulling manifest")
            yield layer("a", 1, 10)
        finally:
            closed.append(True)

    events = track_pull(source(), "m")
    assert next(events).message == "Looking up m"
    events.close()
    assert closed == [True]
