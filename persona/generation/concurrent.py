"""Independent steps of a run, several at once: their progress as it comes, their results in
their own order.

A step is a generator that yields :class:`~persona.core.progress.Progress` and returns its
result (one model call with its repairs). :func:`run_steps` runs up to ``parallel`` of them at
once in worker threads and hands each result over in step order — as soon as that step and
every step before it are done, never in the order they happened to finish — so a seeded run
gives the same results whatever the timing. With ``parallel`` 1 the steps run one after the
other in the caller's thread, streamed text included.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from queue import Empty, SimpleQueue
from typing import TypeVar, cast

from persona.core.errors import PersonaError
from persona.core.progress import Progress

T = TypeVar("T")

Step = Callable[[], Generator[Progress, None, T]]
"""One independent piece of work: its progress events, then its result."""

POLL_S = 0.05
"""How often waiting for steps passes on the progress they reported."""


def run_steps(
    steps: Sequence[Step[T]],
    parallel: int,
    cancel: threading.Event,
    finished: Callable[[int, T | PersonaError], Iterable[Progress]] | None = None,
) -> Generator[Progress, None, list[T | PersonaError]]:
    """Run ``steps``, up to ``parallel`` at once; returns their outcomes in step order.

    A step that fails with a :class:`PersonaError` has that error as its outcome (the others
    go on). Anything else (the run was closed, a bug) stops the steps under way (``cancel``
    is set, which the model calls watch), drops those not started, and is raised; so does an
    exception raised by ``finished``. Streamed text is passed on only when the steps run one
    at a time (interleaved answers would be unreadable).
    """
    outcomes: dict[int, T | PersonaError] = {}
    if parallel <= 1 or len(steps) <= 1:
        for index, step in enumerate(steps):
            try:
                outcomes[index] = yield from step()
            except PersonaError as exc:
                outcomes[index] = exc
            if finished is not None:
                yield from finished(index, outcomes[index])
        return [outcomes[i] for i in range(len(steps))]
    events: SimpleQueue[Progress] = SimpleQueue()
    pool = ThreadPoolExecutor(
        max_workers=min(parallel, len(steps)), thread_name_prefix="persona-step"
    )
    futures: dict[Future[T], int] = {
        pool.submit(drain, step(), events, False): index for index, step in enumerate(steps)
    }
    running = set(futures)
    reported = 0
    try:
        while running:
            done, running = wait(running, timeout=POLL_S, return_when=FIRST_COMPLETED)
            yield from _queued(events)
            for future in sorted(done, key=futures.__getitem__):
                error = future.exception()
                if error is None:
                    outcomes[futures[future]] = future.result()
                elif isinstance(error, PersonaError):
                    outcomes[futures[future]] = error
                else:
                    raise error
            while reported in outcomes:
                if finished is not None:
                    yield from finished(reported, outcomes[reported])
                reported += 1
    finally:
        if running:
            cancel.set()  # closed or failed: stop what is under way
        pool.shutdown(wait=False, cancel_futures=True)
    return [outcomes[i] for i in range(len(steps))]


def _queued(events: SimpleQueue[Progress]) -> Iterator[Progress]:
    while True:
        try:
            yield events.get_nowait()
        except Empty:
            return


def drain(gen: Generator[Progress, None, T], events: SimpleQueue[Progress], show_text: bool) -> T:
    """Run a step generator to its end in a worker thread; returns its value."""
    while True:
        try:
            event = next(gen)
        except StopIteration as stop:
            return cast(T, stop.value)
        if show_text or not event.text:
            events.put(event)
