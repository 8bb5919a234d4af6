"""Background jobs: followed, stopped (the stream closes, the work is saved), abandoned."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from persona.core.background import Worker
from persona.core.errors import PersonaError
from persona.core.progress import Progress


class Work:
    """A fake long run: a step, then streamed text until told to end; records how it ended."""

    def __init__(self, pieces: int = 10_000, delay: float = 0.005) -> None:
        self.pieces = pieces
        self.delay = delay
        self.ended = threading.Event()
        self.how = ""

    def events(self) -> Iterator[Progress]:
        try:
            yield Progress("generate", "Writing personas", fraction=0.0, eta=42.0)
            for n in range(self.pieces):
                time.sleep(self.delay)
                yield Progress("generate", "Writing personas", text=f"{n} ")
            yield Progress("done", "3 personas", fraction=1.0)
            self.how = "finished"
        except GeneratorExit:
            self.how = "closed"  # what closes the HTTP stream in a real run
            raise
        finally:
            self.ended.set()


def test_a_job_runs_to_the_end() -> None:
    work = Work(pieces=5, delay=0)
    job = Worker(work.events)
    assert job.wait(5)
    assert job.state == "finished" and work.how == "finished"
    assert [s.message for s in job.steps] == ["Writing personas", "3 personas"]
    assert "".join(e.text for e in job.drain()) == "0 1 2 3 4 "
    assert job.eta is None  # finished: nothing left
    elapsed = job.elapsed
    time.sleep(0.05)
    assert job.elapsed == elapsed  # the clock stops when the job ends


def test_stop_closes_the_events_and_keeps_the_outcome() -> None:
    work = Work()
    job = Worker(work.events)
    while not job.drain(timeout=1):
        pass
    assert (job.state, job.eta) == ("running", 42.0)
    job.stop()
    assert job.state == "stopping" or job.done
    assert job.wait(2)
    assert job.state == "stopped"
    assert work.how == "closed", "the iterator must be closed so the engine's stream closes"


def test_an_abandoned_job_stops_after_the_grace_period() -> None:
    work = Work()
    followed = threading.Event()
    followed.set()
    job = Worker(work.events, alive=followed.is_set, grace_s=0.2)
    time.sleep(0.3)
    assert not job.done, "followed: keeps running"
    followed.clear()  # the tab was closed
    started = time.monotonic()
    assert job.wait(3)
    assert 0.2 <= time.monotonic() - started < 2
    assert job.abandoned and job.state == "stopped" and work.how == "closed"


def test_a_short_disconnect_is_forgiven() -> None:
    work = Work(pieces=200, delay=0.002)
    calls = iter([True, False, False, True] + [True] * 10_000)
    job = Worker(work.events, alive=lambda: next(calls), grace_s=5)
    assert job.wait(5)
    assert job.state == "finished" and not job.abandoned


def test_errors_are_kept_for_the_page() -> None:
    def failing() -> Iterator[Progress]:
        yield Progress("plan", "Planning")
        raise PersonaError("Ollama stopped answering.")

    job = Worker(failing)
    assert job.wait(2)
    assert job.state == "failed" and str(job.error) == "Ollama stopped answering."


def test_cleanup_runs_once_and_the_work_is_released() -> None:
    closed = []
    work = Work(pieces=1, delay=0)
    job = Worker(work.events, cleanup=lambda: closed.append(True))
    assert job.wait(2)
    assert closed == [True]
    assert job._events is None  # the run (and the research text it holds) can be freed
