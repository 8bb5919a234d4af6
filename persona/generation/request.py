"""What the user asks a generation run for: the model, how many personas, the settings; saved
with the run as its :class:`~persona.core.records.RunOptions`."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, TypedDict

from persona.core.errors import InputError
from persona.core.records import RunOptions
from persona.core.setting_rules import MAX_PARALLEL

DEFAULT_CONTEXT_CAP = 32768
"""Largest ``num_ctx`` Persona asks for unless told otherwise (memory grows with context)."""


class GenerationOptions(TypedDict, total=False):
    """The settings of a :class:`GenerationRequest` a caller may give by keyword
    (``persona.generate(..., temperature=0.2)``); a misspelt one is a type error.
    ``parallel`` None (or left out): what the settings and the engine allow."""

    context: str
    temperature: float
    seed: int | None
    max_repairs: int
    context_cap: int
    parallel: int | None
    language: str
    per_call: int | None
    chunk_retries: int


@dataclass(frozen=True)
class GenerationRequest:
    """What the user asked for."""

    model: str
    count: int = 3
    context: str = ""
    temperature: float = 0.4
    seed: int | None = None
    max_repairs: int = 2
    context_cap: int = DEFAULT_CONTEXT_CAP
    parallel: int = 1
    """Model calls sent at once where they are independent: chunks, the merges of a round,
    persona calls from their own shares of the findings (the server must allow as many)."""
    language: str = ""
    """The language personas are written in (its English name); empty: not specified."""
    per_call: int | None = None
    """Most personas asked for in one call; None: as many as the context leaves room for."""
    chunk_retries: int = 1
    """A chunk that fails after its repairs is tried this many more times, then reported."""

    def __post_init__(self) -> None:
        if not 1 <= self.count <= 10:
            raise InputError("Ask for between 1 and 10 personas.")
        if not 0 <= self.temperature <= 2:
            raise InputError("Temperature must be between 0 and 2.")
        if not self.model.strip():
            raise InputError("Choose a model first.")
        if not 1 <= self.parallel <= MAX_PARALLEL:
            raise InputError(f"Parallel requests must be between 1 and {MAX_PARALLEL}.")
        if self.per_call is not None and not 1 <= self.per_call <= 10:
            raise InputError("Personas per call must be between 1 and 10.")

    def to_options(self, **recorded: Any) -> RunOptions:
        """The request as saved with a run, with what else the run ``recorded`` (``num_ctx``,
        ``plan``, ``columns``, ``interviewers``)."""
        saved = {f.name: getattr(self, f.name) for f in fields(self) if f.name in _SAVED}
        return RunOptions(**saved, **recorded)

    @classmethod
    def from_options(cls, model: str, options: RunOptions) -> GenerationRequest:
        """The request a run was made with (a setting it did not record: the default)."""
        saved = {name: getattr(options, name) for name in _SAVED}
        return cls(
            model=model, **{name: value for name, value in saved.items() if value is not None}
        )


_SAVED = (
    "count",
    "context",
    "temperature",
    "seed",
    "max_repairs",
    "context_cap",
    "parallel",
    "per_call",
    "language",
)
"""The request's settings a run saves (``chunk_retries`` is not: a resumed run uses the
default)."""
