"""Independent steps at once: results and hand-overs in step order, failures kept apart."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator

import pytest

from persona.core.errors import GenerationError
from persona.core.progress import Progress
from persona.generation.concurrent import run_steps


def step(name: str, delay: float, fail: Exception | None = None):
    def run() -> Generator[Progress, None, str]:
        yield Progress("generate", f"{name} started", text="streamed")
        time.sleep(delay)
        if fail is not None:
            raise fail
        return name

    return run


def drive(gen: Generator[Progress, None, list]) -> tuple[list[Progress], list]:
    events: list[Progress] = []
    while True:
        try:
            events.append(next(gen))
        except StopIteration as stop:
            return events, stop.value


@pytest.mark.parametrize("parallel", [1, 3])
def test_results_and_hand_overs_are_in_step_order_whatever_finishes_first(parallel):
    order: list[int] = []

    def finished(index: int, outcome: object):
        order.append(index)
        yield Progress("persona", f"{outcome} kept")

    steps = [step("slow", 0.2), step("quick", 0.0), step("fails", 0.0, GenerationError("500"))]
    events, outcomes = drive(run_steps(steps, parallel, threading.Event(), finished))
    assert outcomes[:2] == ["slow", "quick"] and isinstance(outcomes[2], GenerationError)
    assert order == [0, 1, 2]
    kept = [e.message for e in events if e.stage == "persona"]
    assert kept == ["slow kept", "quick kept", "500 kept"]
    streamed = [e for e in events if e.text]
    assert len(streamed) == (3 if parallel == 1 else 0)  # interleaved answers are not shown


def test_steps_run_at_once_up_to_parallel():
    under_way = peak = 0
    lock = threading.Lock()

    def counted():
        nonlocal under_way, peak
        with lock:
            under_way += 1
            peak = max(peak, under_way)
        time.sleep(0.1)
        with lock:
            under_way -= 1
        return "done"
        yield  # a step is a generator

    started = time.monotonic()
    drive(run_steps([counted] * 6, 3, threading.Event()))
    assert peak == 3 and time.monotonic() - started < 0.5


def test_an_unexpected_error_stops_the_others_and_is_raised():
    cancel = threading.Event()
    steps = [step("long", 0.3), step("bug", 0.0, RuntimeError("bug"))]
    with pytest.raises(RuntimeError, match="bug"):
        drive(run_steps(steps, 2, cancel))
    assert cancel.is_set()  # the model calls under way watch this and stop
