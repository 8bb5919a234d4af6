"""The record of one generation run: its inputs, settings, personas and outcome.

A run is saved as it goes (see :mod:`persona.history.store`), so a crash keeps what was made.
It records file names and content hashes, never the research text itself, unless the
user opted in to keep a copy (``research_text``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any, Literal
from uuid import uuid4

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
)

from persona.core.schema import Persona
from persona.core.verdicts import RunSummary, run_summary

RunKind = Literal["local", "hybrid"]
RunStatus = Literal["running", "complete", "failed", "partial", "interrupted"]
"""``interrupted``: the process writing the run stopped before finishing it (see the store)."""
Version = Literal["draft", "refined"]
"""Which version of a refined persona: the local draft or the frontier model's."""
Kept = Literal["draft", "refined", "fields"]
"""What the user kept of a refined persona: one whole version, or some fields of each."""


class FileRef(BaseModel):
    """A research file a run read: its name and fingerprint, not its content."""

    name: str
    sha256: str
    size_bytes: int
    kind: str
    passages: int = 0


class PersonaRecord(BaseModel):
    """One persona of a run: the local draft and, for hybrid runs, the refined version."""

    draft: Persona
    refined: Persona | None = None
    choices: dict[str, Version] = Field(default_factory=dict)
    """Per field, which version the user kept."""
    chosen: Persona | None = None
    """The persona merged from ``choices``."""
    edits: list[Persona] = Field(default_factory=list)
    """Versions the user edited by hand, oldest first (see :mod:`persona.generation.edit`);
    every earlier version is kept."""
    refine_error: str | None = None
    score: float | None = None
    score_reasons: list[str] = Field(default_factory=list)

    @property
    def current(self) -> Persona:
        """The persona to show: the user's latest edit, else their merge, else the refined
        version, else the draft."""
        return self.edits[-1] if self.edits else self.before_edit

    @property
    def before_edit(self) -> Persona:
        """The version the latest edit changed (:attr:`current` when there is no edit)."""
        if len(self.edits) > 1:
            return self.edits[-2]
        return self.chosen or self.refined or self.draft

    @property
    def kept(self) -> Kept:
        """What :attr:`current` is: the draft, the refined version (what a refined persona
        keeps until the user chooses), or a per-field mix (``choices``)."""
        if self.choices:
            return "fields"
        if self.refined is None or self.chosen == self.draft:
            return "draft"
        return "refined"


class RunOptions(BaseModel):
    """The settings a run was made with, as History keeps them (``Run.options``).

    A setting a run did not record (saved by an older Persona) is None, or empty; keys this
    model does not know are kept as they were saved."""

    model_config = ConfigDict(extra="allow")

    count: int | None = None
    context: str = ""
    temperature: float | None = None
    seed: int | None = None
    max_repairs: int | None = None
    context_cap: int | None = None
    parallel: int | None = None
    per_call: int | None = None
    language: str = ""
    """The language the personas were written in (its English name); empty: not specified."""
    num_ctx: int | None = None
    plan: str = ""
    """How the study was sent to the model, in words (``Plan.describe()``)."""
    columns: dict[str, Any] = Field(default_factory=dict)
    """The sheets and column roles chosen for tables (see
    :func:`persona.ingest.columns.choices_to_options`)."""
    interviewers: dict[str, str] = Field(default_factory=dict)
    """The interviewer of every transcript read, by file name."""

    @field_validator("context", "language", "plan", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return "" if value is None else value

    @field_validator("columns", "interviewers", mode="before")
    @classmethod
    def _mapping(cls, value: Any) -> Any:
        return {} if value is None else value


class RunUsage(BaseModel):
    """What a run cost (``Run.usage``): the local model's calls, and the frontier model's
    spend (hybrid runs, see :mod:`persona.hybrid.spend`). Keys this model does not know are
    kept as they were saved."""

    model_config = ConfigDict(extra="allow")

    calls: int = 0
    prompt_tokens: int = 0
    answer_tokens: int = 0
    seconds: float = 0.0
    """Wall time of the local model's calls (summed over parallel calls)."""
    answer_seconds: float = 0.0
    """Of which writing answers, where the engine reports it."""
    failed_chunks: int = 0
    dropped_ids: int = 0
    frontier: dict[str, Any] | None = None
    """The frontier model's spend, as :func:`persona.hybrid.spend.record_send` records it;
    None before the first refinement."""

    @model_serializer(mode="wrap")
    def _saved(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Saved as before: a run never refined has no ``frontier`` entry."""
        data: dict[str, Any] = handler(self)
        if data.get("frontier") is None:
            data.pop("frontier", None)
        return data


class Run(BaseModel):
    """One generation run, from the files read to the personas made."""

    id: str = Field(default_factory=lambda: uuid4().hex)
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    kind: RunKind = "local"
    model: str
    engine: str = ""
    """Which engine made the drafts, e.g. ``Ollama at http://127.0.0.1:11434`` (empty for runs
    saved before Persona recorded it)."""
    frontier_model: str | None = None
    options: RunOptions = Field(default_factory=RunOptions)
    """Generation settings: count, context, temperature, seed, num_ctx..."""
    files: list[FileRef] = Field(default_factory=list)
    records: list[PersonaRecord] = Field(default_factory=list)
    status: RunStatus = "running"
    message: str = ""
    raw_answers: list[str] = Field(default_factory=list)
    """Model answers that failed validation, kept for inspection."""
    usage: RunUsage = Field(default_factory=RunUsage)
    """Tokens, time and cost."""
    research_text: str | None = None
    """A copy of the research text, only when the user opted in to keep it."""
    speakers: dict[str, str] = Field(default_factory=dict)
    """Who said each citable passage (place → participant), for coverage without the text
    (see :mod:`persona.core.coverage`)."""
    study: str = ""
    """The study the run belongs to: a name the user gives (see :func:`suggest_study`)."""

    @field_validator("created_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    @property
    def personas(self) -> list[Persona]:
        """The current version of each persona."""
        return [record.current for record in self.records]

    @property
    def title(self) -> str:
        """A one-line label, e.g. ``Grocery study · Dana, Walter, Sofia · 2026-11-24 15:30``."""
        names = [p.name for p in self.personas]
        return run_title(self.study, names, self.created_at, self.status)

    @property
    def summary(self) -> RunSummary:
        """Usable personas and quotes in your data, over the current personas
        (``2 usable personas of 3 · 26 of 26 quotes in your data``)."""
        return run_summary(self.personas)


def run_title(study: str, names: list[str], created_at: datetime, status: str) -> str:
    """The one-line label of a run (see :attr:`Run.title`): study, personas, local time."""
    shown = ", ".join(names[:_NAMES_SHOWN]) + (
        f" +{len(names) - _NAMES_SHOWN}" if len(names) > _NAMES_SHOWN else ""
    )
    if not shown:
        shown = "no personas" + ("" if status == "complete" else f" ({status})")
    when = f"{created_at.astimezone():%Y-%m-%d %H:%M}"
    return " · ".join((study or UNTITLED_STUDY, shown, when))


UNTITLED_STUDY = "Untitled study"
_NAMES_SHOWN = 3
_NAME_NOISE = re.compile(r"[\s_\-.]+")
_LEADING_NUMBER = re.compile(r"^(?:\d+|p\d+|r\d+)(?:\s+|$)", re.IGNORECASE)


def suggest_study(file_names: Sequence[str]) -> str:
    """A study name from the files read: their shared folder, else the words their names
    share, else the first file's name (``interviews/p01-commuter.md`` → ``Interviews``)."""
    if not file_names:
        return ""
    folders = {PurePosixPath(name).parts[0] for name in file_names if "/" in name}
    if len(folders) == 1 and all("/" in name for name in file_names):
        return _tidy(folders.pop())
    stems = [_tidy(PurePosixPath(name).stem) for name in file_names]
    shared = _shared_words(stems)
    if shared:
        return shared
    more = len(file_names) - 1
    return stems[0] + (f" and {more} more" if more else "") if stems[0] else ""


def _tidy(name: str) -> str:
    words = _NAME_NOISE.sub(" ", name).strip()
    words = _LEADING_NUMBER.sub("", words).strip() or words
    return words[:1].upper() + words[1:]


def _shared_words(stems: list[str]) -> str:
    """The leading words every name shares (at least one word of 3+ letters), else ``""``."""
    if len(stems) < 2:
        return ""
    split = [stem.casefold().split() for stem in stems]
    common: list[str] = []
    for words in zip(*split, strict=False):
        if len(set(words)) != 1:
            break
        common.append(words[0])
    if not any(len(w) >= 3 and not w.isdigit() for w in common):
        return ""
    return _tidy(" ".join(stems[0].split()[: len(common)]))
