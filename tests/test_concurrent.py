"""Independent steps at once: results and hand-overs in step order, failures kept apart; the
scheduler under them runs the jobs its handler adds and holds jobs back when told."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Generator, Iterator

import pytest

from persona.core.errors import GenerationError
from persona.core.progress import Progress
from persona.generation.concurrent import Job, run_steps, schedule


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


@pytest.mark.parametrize("parallel", [1, 2])
def test_the_scheduler_runs_the_jobs_its_handler_adds(parallel):
    """A failed job put back at the front runs again (as the map phase retries a chunk)."""
    tries: dict[tuple[int, ...], int] = {}
    handled: list[tuple[tuple[int, ...], object]] = []

    def flaky(key: tuple[int, ...]):
        def run() -> Generator[Progress, None, str]:
            tries[key] = tries.get(key, 0) + 1
            yield Progress("generate", f"{key} try {tries[key]}")
            if key == (0,) and tries[key] == 1:
                raise GenerationError("timed out")
            return f"{key} read"

        return run

    pending = deque(Job((i,), flaky((i,))) for i in range(3))

    def handle(job: Job[str], outcome: str | Exception) -> Iterator[Progress]:
        handled.append((job.key, outcome if isinstance(outcome, str) else "failed"))
        if isinstance(outcome, Exception):
            pending.appendleft(Job(job.key, flaky(job.key)))
        yield Progress("generate", "handled")

    drive(schedule(pending, parallel, threading.Event(), handle))
    assert tries == {(0,): 2, (1,): 1, (2,): 1}
    assert sorted(handled, key=lambda h: (h[0], h[1] != "failed")) == [
        ((0,), "failed"),
        ((0,), "(0,) read"),
        ((1,), "(1,) read"),
        ((2,), "(2,) read"),
    ]


def test_the_scheduler_holds_jobs_back_while_told():
    """Held until the first job is handled (as the map phase waits for the first chunk to
    calibrate the token estimate), the others start only after it ends."""
    log: list[str] = []
    lock = threading.Lock()
    first_done = False

    def logged(index: int, delay: float):
        def run() -> Generator[Progress, None, int]:
            with lock:
                log.append(f"start {index}")
            time.sleep(delay)
            with lock:
                log.append(f"end {index}")
            return index
            yield  # a step is a generator

        return run

    def handle(job: Job[int], outcome: int | Exception) -> Iterator[Progress]:
        nonlocal first_done
        first_done = first_done or job.key == (0,)
        return iter(())

    def hold(running: int, started: int) -> bool:
        return not first_done and started >= 1 and running > 0

    jobs = deque([Job((0,), logged(0, 0.1)), Job((1,), logged(1, 0.0)), Job((2,), logged(2, 0.0))])
    drive(schedule(jobs, 3, threading.Event(), handle, hold))
    assert log.index("end 0") < log.index("start 1") and log.index("end 0") < log.index("start 2")
