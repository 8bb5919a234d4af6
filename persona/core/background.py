"""Long work (a generation run) in a worker thread that a page can follow, stop or leave.

A page that loops over a run's events itself dies with the script: touching any widget
reruns the script and abandons the run, and a closed tab keeps the model working on a
request nobody will read. :class:`Worker` runs the events in a thread instead. Pages read its
steps (:attr:`Worker.steps`) and streamed text (:meth:`Worker.drain`), show elapsed time and the
ETA, and stop it (:meth:`Worker.stop`):
stopping closes the events iterator, which closes the engine's stream (the model stops)
and lets the run save what was made. ``alive`` tells the job whether anyone still follows
it (the browser tab is open); when it has said no for ``grace_s`` seconds the job stops.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Literal

from persona.core.progress import Progress

JobState = Literal["running", "stopping", "finished", "stopped", "failed"]

ABANDON_GRACE_S = 15.0
"""How long a job keeps running while nobody follows it (a reconnecting tab comes back)."""


class Worker:
    """Runs one job (``events()``: a generation, a comparison, a pull...) in a daemon thread;
    progress is queued for whoever follows the job. "Job" is the work, "worker" what runs it."""

    def __init__(
        self,
        events: Callable[[], Iterator[Progress]],
        *,
        name: str = "job",
        alive: Callable[[], bool] | None = None,
        grace_s: float = ABANDON_GRACE_S,
        cleanup: Callable[[], None] | None = None,
    ) -> None:
        self._events: Callable[[], Iterator[Progress]] | None = events
        self._cleanup = cleanup
        self._alive = alive
        self._grace_s = grace_s
        self._queue: queue.SimpleQueue[Progress] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._done = threading.Event()
        self.error: BaseException | None = None
        """What ended the job early (a PersonaError, or an unexpected exception)."""
        self.abandoned = False
        """Stopped because nobody followed it any more (the tab was closed)."""
        self.steps: list[Progress] = []
        """Every event that was not streamed text, in order: the steps so far."""
        self.started = time.monotonic()
        self._ended: float | None = None
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    # --- following ------------------------------------------------------------

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def state(self) -> JobState:
        if not self.done:
            return "stopping" if self._stop.is_set() else "running"
        if self.error is not None:
            return "failed"
        return "stopped" if self._stop.is_set() else "finished"

    @property
    def elapsed(self) -> float:
        """Seconds since the job started (until it ended)."""
        return (self._ended or time.monotonic()) - self.started

    @property
    def eta(self) -> float | None:
        """Seconds left, as the latest progress event estimated it (None when unknown)."""
        return None if not self.steps or self.done else self.steps[-1].eta

    def drain(self, timeout: float = 0.0) -> list[Progress]:
        """Streamed-text events since the last call; waits up to ``timeout`` s for the first."""
        events: list[Progress] = []
        try:
            events.append(self._queue.get(timeout=timeout) if timeout else self._queue.get_nowait())
            while True:
                events.append(self._queue.get_nowait())
        except queue.Empty:
            pass
        return events

    def stop(self) -> None:
        """Ask the job to stop: its events iterator is closed at the next event."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the job ended; True if it did within ``timeout`` seconds."""
        return self._done.wait(timeout)

    # --- the worker -----------------------------------------------------------

    def _work(self) -> None:
        assert self._events is not None
        events = self._events()
        unfollowed_since: float | None = None
        try:
            for event in events:
                if event.text:
                    self._queue.put(event)
                else:
                    self.steps.append(event)
                if self._stop.is_set():
                    break
                if self._alive is not None and not self._alive():
                    unfollowed_since = unfollowed_since or time.monotonic()
                    if time.monotonic() - unfollowed_since >= self._grace_s:
                        self.abandoned = True
                        self._stop.set()
                        break
                else:
                    unfollowed_since = None
        except BaseException as exc:  # reported to the page that follows the job
            self.error = exc
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                try:
                    close()  # a generator's finally runs now: streams close, runs are saved
                except Exception as exc:
                    self.error = self.error or exc
            if self._cleanup is not None:
                try:
                    self._cleanup()  # e.g. close the engine's connections
                except Exception as exc:
                    self.error = self.error or exc
            self._events = self._cleanup = None  # release what the work held (research text)
            self._ended = time.monotonic()
            self._done.set()
