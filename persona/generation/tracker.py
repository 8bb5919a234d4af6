"""How far a generation run got: calls done of the calls planned, and the time left.

The fraction and the count of calls done never go back (an event made in a worker thread can
arrive after a later one) and the fraction reaches 1 only at the end.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import replace

from persona.core.progress import Progress, Stage
from persona.core.schema import Persona


class Tracker:
    """Counts a run's calls and makes its progress events (thread-safe)."""

    def __init__(self, calls: int, estimated_seconds: float | None) -> None:
        self.estimated_seconds = estimated_seconds
        """The plan's estimate, used for the time left until the first call is done."""
        self._lock = threading.Lock()
        self._started = 0.0
        self._done = 0
        self._total = calls
        self._fraction = 0.0

    def start(self) -> None:
        self._started = time.monotonic()

    def event(
        self, stage: Stage, message: str, text: str = "", persona: Persona | None = None
    ) -> Progress:
        """An event whose fraction never goes back and stays below 1 until the end."""
        with self._lock:
            total = max(self._total, self._done + 1)
            self._fraction = max(self._fraction, min(0.99, self._done / total))
            done = self._done
        elapsed = time.monotonic() - self._started if self._started else 0.0
        eta: float | None = None
        if done:
            eta = elapsed / done * max(total - done, 0)
        elif self.estimated_seconds is not None:
            eta = max(self.estimated_seconds - elapsed, 0.0)
        return Progress(
            stage,
            message,
            fraction=self._fraction,
            completed=done,
            total=total,
            unit="calls",
            eta=eta,
            text=text,
            persona=persona,
        )

    def step_done(self) -> None:
        with self._lock:
            self._done += 1

    def plan_changed(self, extra_calls: int) -> None:
        with self._lock:
            self._total += extra_calls


def monotonic(events: Iterable[Progress]) -> Iterator[Progress]:
    """``events`` with their fraction and count of calls done never going back."""
    last = 0.0
    done = 0
    for event in events:
        if event.fraction is not None:
            last = max(last, min(event.fraction, 1.0))
            if event.fraction != last:
                event = replace(event, fraction=last)
        if event.completed is not None:
            done = max(done, event.completed)
            if event.completed != done:
                event = replace(event, completed=done)
        yield event
