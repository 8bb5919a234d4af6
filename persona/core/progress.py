"""The one progress event that long work (pulls, generation, refinement) yields.

Pages render it with ``st.progress``/``st.status``; the CLI with a terminal bar.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from persona.core.schema import Persona
from persona.core.units import format_bytes, format_duration

Stage = Literal[
    "plan",  # the work planned (or re-planned, or resumed)
    "generate",  # a model call under way, its answer streamed in ``text``
    "repair",  # an answer sent back to the model to be fixed
    "persona",  # one persona written, in ``persona``
    "personas",  # every persona of a generation written
    "refine",  # the Hybrid step refining a persona
    "warning",  # something dropped or failed, said in ``message``; the work goes on
    "done",  # a run (generation with its verification, refinement, install) finished
    "pull",  # Ollama downloading a model
    "transcribe",  # recordings turned into transcripts
    "start",  # installing the built-in engine: pip started
    "download",  # ... downloading
    "build",  # ... compiling llama.cpp
    "install",  # ... installing
]
"""Every stage long work reports; faces compare ``Progress.stage`` against these."""


@dataclass(frozen=True, slots=True)
class Progress:
    """A step of long-running work.

    ``fraction`` is 0..1 when known. ``completed``/``total`` are in ``unit`` (bytes, chunks...).
    ``rate`` is units per second, ``eta`` seconds left. ``text`` carries streamed model output.
    ``persona`` is a persona written (and, from a saved run, checked) the moment it is ready.
    """

    stage: Stage
    message: str
    fraction: float | None = None
    completed: int | None = None
    total: int | None = None
    unit: str = ""
    rate: float | None = None
    eta: float | None = None
    text: str = ""
    persona: Persona | None = None

    @property
    def percent(self) -> int | None:
        return None if self.fraction is None else int(self.fraction * 100)

    def details(self) -> list[str]:
        """What is known of how far it got, for people: percent, bytes done of the total and
        the rate, time left. The dashboard and the terminal show the same words."""
        parts = []
        if self.percent is not None:
            parts.append(f"{min(self.percent, 100)}%")
        if self.unit == "bytes" and self.total:
            parts.append(f"{format_bytes(self.completed or 0)} of {format_bytes(self.total)}")
            if self.rate:
                parts.append(f"{format_bytes(self.rate)}/s")
        if self.eta is not None:
            parts.append(f"about {format_duration(self.eta)} left")
        return parts
