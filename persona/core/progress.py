"""The one progress event that long work (pulls, generation, refinement) yields.

Pages render it with ``st.progress``/``st.status``; the CLI with a terminal bar.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Progress:
    """A step of long-running work.

    ``fraction`` is 0..1 when known. ``completed``/``total`` are in ``unit`` (bytes, chunks...).
    ``rate`` is units per second, ``eta`` seconds left. ``text`` carries streamed model output.
    """

    stage: str
    message: str
    fraction: float | None = None
    completed: int | None = None
    total: int | None = None
    unit: str = ""
    rate: float | None = None
    eta: float | None = None
    text: str = ""

    @property
    def percent(self) -> int | None:
        return None if self.fraction is None else int(self.fraction * 100)
