"""Turn Ollama's per-layer pull lines into one steady progress figure."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Generator, Iterable

from persona.core.progress import Progress
from persona.engines.ollama.types import PullChunk

_RATE_WINDOW_S = 5.0


class PullTracker:
    """Aggregates layers into bytes done/total, a percent that never goes back, rate and ETA."""

    def __init__(self, model: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.model = model
        self._clock = clock
        self._layers: dict[str, tuple[int, int]] = {}
        self._fraction = 0.0
        self._samples: deque[tuple[float, int]] = deque()

    def update(self, chunk: PullChunk) -> Progress:
        if chunk.digest:
            done, total = self._layers.get(chunk.digest, (0, 0))
            self._layers[chunk.digest] = (
                chunk.completed if chunk.completed is not None else done,
                chunk.total if chunk.total is not None else total,
            )
        completed = sum(done for done, _ in self._layers.values())
        total = sum(size for _, size in self._layers.values())
        if chunk.status == "success":
            self._fraction = 1.0
        elif total:
            self._fraction = max(self._fraction, min(completed / total, 1.0))
        rate = self._rate(completed)
        eta = (total - completed) / rate if rate and total > completed else None
        return Progress(
            stage="pull",
            message=_describe(chunk.status, self.model),
            fraction=self._fraction,
            completed=completed,
            total=total or None,
            unit="bytes",
            rate=rate,
            eta=eta,
        )

    def _rate(self, completed: int) -> float | None:
        now = self._clock()
        self._samples.append((now, completed))
        while len(self._samples) > 2 and now - self._samples[0][0] > _RATE_WINDOW_S:
            self._samples.popleft()
        start, start_bytes = self._samples[0]
        if now - start <= 0 or completed <= start_bytes:
            return None
        return (completed - start_bytes) / (now - start)


def _describe(status: str, model: str) -> str:
    if status.startswith("pulling ") and status != "pulling manifest":
        return f"Downloading {model}"
    return {
        "pulling manifest": f"Looking up {model}",
        "verifying sha256 digest": "Checking the download",
        "writing manifest": "Installing",
        "removing any unused layers": "Tidying up",
        "success": f"{model} is ready",
    }.get(status, status.capitalize() or f"Downloading {model}")


def track_pull(chunks: Iterable[PullChunk], model: str) -> Generator[Progress, None, None]:
    """Progress events for a pull; closing this iterator closes the download."""
    tracker = PullTracker(model)
    iterator = iter(chunks)
    try:
        for chunk in iterator:
            yield tracker.update(chunk)
    finally:
        close = getattr(iterator, "close", None)
        if close:
            close()
