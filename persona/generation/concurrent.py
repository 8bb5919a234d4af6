"""The one scheduler of a run's model calls: independent steps, several at once, their progress
as it comes, their outcomes handed over as they finish.

A step is a generator that yields :class:`~persona.core.progress.Progress` and returns its
result (one model call with its repairs). :func:`schedule` runs the jobs of a queue the
handler may add to (the map phase splits a chunk too long for the model, or tries a failed one
again) up to ``parallel`` at once in worker threads; :func:`run_steps`, built on it, hands
each result over in step order — as soon as that step and every step before it are done,
never in the order they happened to finish — so a seeded run gives the same results whatever
the timing. With ``parallel`` 1 the steps run one after the other in the caller's thread,
streamed text included (interleaved answers would be unreadable, so only then).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from queue import Empty, SimpleQueue
from typing import Generic, TypeVar, cast

from persona.core.errors import PersonaError
from persona.core.progress import Progress

T = TypeVar("T")

Step = Callable[[], Generator[Progress, None, T]]
"""One independent piece of work: its progress events, then its result."""

POLL_S = 0.05
"""How often waiting for steps passes on the progress they reported."""


@dataclass(frozen=True)
class Job(Generic[T]):
    """A step in the queue, with the key its outcome is handled in order of."""

    key: tuple[int, ...]
    step: Step[T]


Handler = Callable[[Job[T], "T | Exception"], Iterable[Progress]]
"""What to do with a job's outcome: its result, or the exception it raised (raise it again to
stop the run)."""


def schedule(
    pending: deque[Job[T]],
    parallel: int,
    cancel: threading.Event,
    handle: Handler[T],
    hold: Callable[[int, int], bool] | None = None,
) -> Generator[Progress, None, None]:
    """Run the jobs of ``pending`` up to ``parallel`` at once until none is left; each
    outcome goes to ``handle`` as the job finishes (jobs finishing together in key order).

    ``handle`` may add jobs to ``pending``. ``hold(running, started)``: True keeps the next
    job waiting while ``running`` jobs run, ``started`` jobs having been started. An exception
    ``handle`` raises stops the jobs under way (``cancel`` is set, which the model calls
    watch), drops those not started, and is raised.
    """
    if parallel <= 1:
        while pending:
            job = pending.popleft()
            try:
                outcome: T | Exception = yield from job.step()
            except Exception as exc:  # the handler decides what an error means
                outcome = exc
            yield from handle(job, outcome)
        return
    events: SimpleQueue[Progress] = SimpleQueue()
    pool = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="persona-step")
    running: dict[Future[T], Job[T]] = {}
    started = 0
    try:
        while pending or running:
            while (
                pending
                and len(running) < parallel
                and not (hold is not None and hold(len(running), started))
            ):
                job = pending.popleft()
                running[pool.submit(drain, job.step(), events)] = job
                started += 1
            yield from queued(events)
            done, _ = wait(list(running), timeout=POLL_S, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: running[f].key):
                job = running.pop(future)
                error = future.exception()
                if error is not None and not isinstance(error, Exception):
                    raise error
                yield from handle(job, future.result() if error is None else error)
    finally:
        if running:
            cancel.set()  # closed or failed: stop what is under way
        pool.shutdown(wait=False, cancel_futures=True)


def run_steps(
    steps: Sequence[Step[T]],
    parallel: int,
    cancel: threading.Event,
    finished: Callable[[int, T | PersonaError], Iterable[Progress]] | None = None,
) -> Generator[Progress, None, list[T | PersonaError]]:
    """Run ``steps``, up to ``parallel`` at once; returns their outcomes in step order.

    A step that fails with a :class:`PersonaError` has that error as its outcome (the others
    go on). Anything else (the run was closed, a bug) stops the steps under way, drops those
    not started, and is raised; so does an exception raised by ``finished``, which is given
    each outcome in step order as soon as it and those before it are done.
    """
    outcomes: dict[int, T | PersonaError] = {}
    reported = 0

    def in_order(job: Job[T], outcome: T | Exception) -> Iterator[Progress]:
        nonlocal reported
        if isinstance(outcome, Exception) and not isinstance(outcome, PersonaError):
            raise outcome
        outcomes[job.key[0]] = outcome
        while reported in outcomes:
            if finished is not None:
                yield from finished(reported, outcomes[reported])
            reported += 1

    jobs = deque(Job((index,), step) for index, step in enumerate(steps))
    yield from schedule(jobs, min(parallel, len(steps)), cancel, in_order)
    return [outcomes[i] for i in range(len(steps))]


def queued(events: SimpleQueue[Progress]) -> Iterator[Progress]:
    """The events waiting in ``events``, without waiting for more."""
    while True:
        try:
            yield events.get_nowait()
        except Empty:
            return


def drain(gen: Generator[Progress, None, T], events: SimpleQueue[Progress]) -> T:
    """Run a step generator to its end in a worker thread; returns its value. Its events go
    to ``events``, streamed text left out (interleaved answers would be unreadable)."""
    while True:
        try:
            event = next(gen)
        except StopIteration as stop:
            return cast(T, stop.value)
        if not event.text:
            events.put(event)
