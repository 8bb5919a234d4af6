"""Runs: plan, generate, resume and check personas; every run is saved to History as it goes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from difflib import get_close_matches
from pathlib import Path
from typing import TYPE_CHECKING, Any

from persona.api.engines import default_engine
from persona.api.reading import read
from persona.api.studies import studies_of, study_reading
from persona.core.documents import Passage, with_passage_ids
from persona.core.errors import InputError
from persona.core.naming import distinct_names
from persona.core.progress import Progress
from persona.core.records import Run
from persona.core.run_warnings import group_warnings, split_warnings
from persona.core.schema import Persona
from persona.core.settings import load_settings
from persona.engines.base import Engine
from persona.engines.registry import parallel_requests
from persona.generation import planner
from persona.generation.checks import check_personas
from persona.generation.pipeline import SavedGeneration
from persona.generation.pipeline import can_resume as _can_resume
from persona.generation.planner import Plan
from persona.generation.request import GenerationOptions, GenerationRequest
from persona.generation.research import passages_from_copy, run_passages
from persona.history.listing import RunListing
from persona.history.speeds import expected_speed, speed_hint
from persona.history.store import Store
from persona.history.study_report import measures
from persona.ingest import Reading
from persona.ingest.roles import Choices
from persona.studydata import run_reading as _run_reading
from persona.studydata.reading import saved_choices

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "GenerationJob",
    "can_resume",
    "distinct_names",
    "find_run",
    "generate",
    "group_warnings",
    "measures",
    "open_history",
    "passages_from_copy",
    "plan",
    "read_again",
    "resume",
    "resume_reading",
    "run_passages",
    "speed_hint",
    "split_warnings",
    "study_passages",
    "verify",
]


def generation_request(
    model: str, count: int, engine: Engine, options: GenerationOptions
) -> GenerationRequest:
    """The request for ``model`` with the caller's ``options``; ``parallel`` left out or None:
    what the settings and the engine allow. An unknown option is an InputError."""
    wanted: dict[str, Any] = dict(options)
    if wanted.get("parallel") is None:  # what the settings and the engine allow
        wanted["parallel"] = parallel_requests(load_settings(), engine)
    try:
        return GenerationRequest(model=model, count=count, **wanted)
    except TypeError as exc:
        raise InputError(f"Unknown generation option: {exc}.") from exc


def _reading_of(reading: Reading | None, study: str, store: Store | None) -> Reading:
    """``reading``, else the files of the study ``study`` (InputError when neither)."""
    if reading is not None:
        return reading
    if not study.strip():
        raise InputError("Give the files to read, or the study whose files to use.")
    return study_reading(study, store=store)


def plan(
    reading: Reading | None,
    model: str,
    *,
    count: int = 3,
    engine: Engine | None = None,
    store: Store | None = None,
    study: str = "",
    **options: Unpack[GenerationOptions],
) -> Plan:
    """How the study will be sent to ``model``: one prompt, or parts then a synthesis.

    ``reading`` None plans the files of ``study``. Nothing is generated; the engine is asked
    only for the model's context length. With ``store`` (History), the plan's time estimate
    uses the model's speed in past runs.
    """
    reading = _reading_of(reading, study, store)
    engine = engine or default_engine()
    request = generation_request(model, count, engine, options)
    speed = expected_speed(store, model, engine.describe(model).parameters)
    return planner.plan(engine, reading.passages, request, speed=speed)


class GenerationJob:
    """A generation in progress: iterate it for :class:`Progress` events; ``run`` is the result.
    An event whose ``persona`` is set carries a persona the moment it is written, checked and
    saved to History.

    The run is saved to History as it goes, so stopping the iteration early keeps what was
    made (the run is then marked interrupted).
    """

    def __init__(self, saved: SavedGeneration) -> None:
        self._saved = saved
        self._events: Iterator[Progress] | None = None

    def __iter__(self) -> Iterator[Progress]:
        if self._events is not None:
            raise InputError("This generation has already run; start a new one with generate().")
        self._events = self._saved.events()
        return self._events

    @property
    def plan(self) -> Plan:
        """How the study is sent to the model (see :func:`plan`)."""
        return self._saved.generation.plan

    @property
    def run(self) -> Run:
        """The run as saved: its personas, status, warnings and usage."""
        return self._saved.run

    @property
    def warnings(self) -> list[str]:
        """What the generation could not do as asked (dropped claims, unread parts...)."""
        return list(self._saved.generation.result.warnings)

    def wait(self) -> Run:
        """Run to the end without looking at progress; returns the saved run."""
        for _ in self if self._events is None else self._events:
            pass
        return self.run


def generate(
    reading: Reading | None,
    model: str,
    *,
    count: int = 3,
    engine: Engine | None = None,
    store: Store | None = None,
    plan: Plan | None = None,
    keep_research_text: bool = False,
    study: str = "",
    columns: Choices | None = None,
    frontier_model: str | None = None,
    **options: Unpack[GenerationOptions],
) -> GenerationJob:
    """Write ``count`` personas from ``reading`` with ``model``; iterate the job to run it.

    ``options`` are :class:`~persona.generation.request.GenerationRequest` fields
    (``context``, ``temperature``, ``seed``, ``parallel``, ``language``...). ``plan`` reuses
    one made by :func:`plan` with the same settings. The run belongs to ``study`` (default:
    named after the files; created if needed) and records the table ``columns`` it was read
    with; with ``frontier_model`` it is saved as the draft stage of a hybrid run.

    ``reading`` None generates from the files of ``study``, read with its saved choices.
    """
    if reading is None:
        reading = _reading_of(None, study, store)
        if columns is None:
            columns = saved_choices(studies_of(store).get(study).choices)
    if not reading.passages:
        raise InputError("Nothing was read from those files; see reading.reports for why.")
    engine = engine or default_engine()
    saved = SavedGeneration(
        engine,
        reading,
        generation_request(model, count, engine, options),
        store or Store(),
        plan=plan,
        keep_research_text=keep_research_text,
        frontier_model=frontier_model,
        study=study,
        columns=columns,
    )
    return GenerationJob(saved)


def can_resume(run: Run, store: Store | None = None) -> bool:
    """Whether :func:`resume` can finish ``run``: it stopped before its personas were written
    and saved findings of the parts it had read."""
    return _can_resume(run, store or Store())


def resume(
    run_id: str,
    reading: Reading | None = None,
    *,
    engine: Engine | None = None,
    store: Store | None = None,
) -> GenerationJob:
    """Finish a failed or interrupted run from its saved findings: only the missing calls.

    The run's files are read again from its study; ``reading`` gives them instead (same
    content, any order), e.g. for a run whose study does not hold them.
    """
    store = store or Store()
    if reading is None:
        reading = resume_reading(store.get(run_id), store=store)
    saved = SavedGeneration.resume(engine or default_engine(), reading, store, run_id)
    return GenerationJob(saved)


def resume_reading(run: Run, *, store: Store | None = None) -> Reading:
    """The files of ``run`` read again from its study, as the run read them; InputError
    saying what to do when its study does not hold them."""
    reading = _run_reading(studies_of(store), run)
    if reading is None:
        names = ", ".join(f.name for f in run.files) or "its files"
        raise InputError(
            f"The files of run {run.id} ({names}) are not in its study "
            f"{run.study or '(none)'}: add them to the study, or give them again "
            f"(`persona resume {run.id} FILES...`)."
        )
    return reading


def read_again(run: Run, *paths: str | Path) -> Reading:
    """The run's files given again (files and folders), read as the run read them: each
    transcript with the interviewer the run was read with."""
    return read(*paths, interviewers=run.options.interviewers)


def verify(personas: Sequence[Persona], reading: Reading) -> list[Persona]:
    """The personas with the checks every version gets
    (:func:`~persona.generation.checks.check_personas`): every quote checked word for word
    against the study (``verified``), weak support, who each persona is based on, and
    ``unusable`` with its reasons."""
    return check_personas(list(personas), reading.passages)


def study_passages(
    run: Run, reading: Reading | None = None, *, store: Store | None = None
) -> list[Passage] | None:
    """The run's research passages with the IDs its personas cite, from ``reading`` (the
    run's files again, checked by fingerprint), else the copy History kept, else the run's
    files in its study; None when none is at hand. Files that are not the run's raise
    :class:`InputError` saying which.

    Files read again are numbered in the run's order, as when the run read them, whatever
    order they come in now."""
    if reading is None and not run.research_text:
        reading = _run_reading(studies_of(store), run)
    if reading is None and not run.research_text:
        return None
    passages = run_passages(run, reading)
    if reading is not None and reading.documents:
        passages = with_passage_ids([replace(p, id="") for p in passages])
    return passages


def open_history(path: str | Path | None = None) -> Store:
    """History: every run saved on this machine (``.list()``, ``.get(run_id)``, ``.delete``)."""
    return Store(Path(path) if path is not None else None)


LATEST = "latest"
"""What :func:`find_run` takes for the newest run."""


def find_run(wanted: str, store: Store | None = None) -> Run:
    """The saved run ``wanted`` names: its id, the first characters of its id when only one
    run starts so, or ``latest`` for the newest run.

    Anything else raises :class:`InputError` that says what to type: the runs a start of an
    id matches, the ids close to a mistyped one, or else the newest runs."""
    store = store or Store()
    text = wanted.strip()
    runs = store.list(limit=None)
    if not runs:
        raise InputError("History is empty: generate personas first, then use their run id.")
    if text.casefold() == LATEST:
        return store.get(runs[0].id)
    exact = [r for r in runs if r.id == text]
    matches = exact or ([r for r in runs if r.id.startswith(text)] if text else [])
    if len(matches) == 1:
        return store.get(matches[0].id)
    if matches:
        raise InputError(
            f"{len(matches)} runs start with {text!r}: give more of the id. "
            f"They are: {_run_list(matches)}."
        )
    by_id = {r.id: r for r in runs}
    close = [by_id[i] for i in get_close_matches(text, list(by_id), n=3, cutoff=0.6)]
    hint = f"Did you mean {_run_list(close)}?" if close else f"Newest: {_run_list(runs)}."
    raise InputError(
        f"No saved run with id {text!r}. {hint} Type a run id (or its first characters), "
        f"or {LATEST!r} for the newest run."
    )


def _run_list(runs: Sequence[RunListing], shown: int = 3) -> str:
    """``1a2b3c4d (Checkout study · Ana, Ben)`` for the first ``shown`` runs, then how many
    more."""
    listed = "; ".join(f"{r.id[:8]} ({r.title})" for r in runs[:shown])
    more = len(runs) - shown
    return listed + (f"; and {more} more" if more > 0 else "")
