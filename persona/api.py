"""The Python API: the few calls a researcher needs in a notebook.

>>> import persona
>>> study = persona.read("interviews/", "survey.csv")
>>> job = persona.generate(study, model="llama3.2:3b", count=3)
>>> for event in job:
...     print(event.message)
>>> persona.to_dataframe(job.run).head()

The dashboard and the ``persona`` command read, plan, generate, resume, export and open
History through these same calls: reading reports every file, plans fit the model's context,
every run is saved to History as it goes, every quote is checked against the data.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from persona.core.diff import FieldChange, field_changes
from persona.core.documents import Passage, with_passage_ids
from persona.core.engine_settings import load_settings
from persona.core.errors import InputError, PersonaError
from persona.core.progress import Progress
from persona.core.records import Run
from persona.core.schema import Persona
from persona.engines.base import Engine
from persona.engines.registry import make_engine, parallel_requests
from persona.generation.checks import check_personas
from persona.generation.edit import ClaimEdit, PersonaEdit, apply_edit, check_edited
from persona.generation.generate import GenerationRequest, make_plan
from persona.generation.pipeline import SavedGeneration
from persona.generation.pipeline import can_resume as _can_resume
from persona.generation.planner import Plan
from persona.generation.research import run_passages
from persona.history.export import CSV_COLUMNS, quote_table
from persona.history.formats import ExportFormat, export_run, write_new
from persona.history.speeds import expected_speed
from persona.history.store import Store
from persona.ingest import Interviewers, Reading, read_files, read_paths
from persona.ingest.columns import Choices
from persona.ingest.sample import sample_files

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ClaimEdit",
    "Edited",
    "ExportedFile",
    "GenerationJob",
    "PersonaEdit",
    "can_resume",
    "default_engine",
    "edit",
    "export",
    "export_file",
    "generate",
    "open_history",
    "plan",
    "read",
    "read_uploads",
    "resume",
    "save_export",
    "study_passages",
    "to_dataframe",
    "verify",
]


def default_engine() -> Engine:
    """The engine Persona's settings choose: ``settings.toml`` (the Settings page), then the
    environment (``PERSONA_ENGINE``, ``OLLAMA_HOST``, ``OPENAI_BASE_URL``...); Ollama at
    ``127.0.0.1:11434`` by default."""
    return make_engine(load_settings())


def _limit(max_mb: float | None) -> int | None:
    return None if max_mb is None else int(max_mb * 1024 * 1024)


def read(
    *paths: str | Path,
    max_mb: float | None = None,
    choices: Choices | None = None,
    interviewers: Interviewers | None = None,
) -> Reading:
    """Read research files and folders into passages, with a report per file.

    A file that cannot be read is reported (``reading.failed``) and never stops the others.
    Files larger than ``max_mb`` (default: ``PERSONA_MAX_FILE_MB``) are reported, not read.
    ``choices`` picks the sheets and column roles of tables (CSV, TSV, Excel).
    ``interviewers`` names the interviewer of meeting transcripts (.vtt, .srt, timestamped
    .txt) by file name, ``"*"`` for every one, ``""`` for nobody (default: detected, see
    ``reading.reports[i].interviewer``); their turns are context, never quoted. A name that
    is not a speaker raises InputError listing the speakers.
    """
    if not paths:
        raise InputError("Name at least one file or folder to read.")
    return read_paths(
        list(paths), max_bytes=_limit(max_mb), choices=choices, interviewers=interviewers
    )


def read_sample() -> Reading:
    """The sample study shipped with Persona (:mod:`persona.ingest.sample`), read like uploads."""
    return read_files(sample_files())


def read_uploads(
    files: Iterable[tuple[str, bytes]],
    *,
    max_mb: float | None = None,
    choices: Choices | None = None,
    interviewers: Interviewers | None = None,
) -> Reading:
    """Read files already in memory, as ``(name, bytes)`` pairs (the dashboard's uploads):
    the same readers, limits and reports as :func:`read`, one report per file, in order."""
    return read_files(files, max_bytes=_limit(max_mb), choices=choices, interviewers=interviewers)


def _request(
    model: str, count: int, engine: Engine, options: Mapping[str, Any]
) -> GenerationRequest:
    wanted = dict(options)
    if wanted.get("parallel") is None:  # what the settings and the engine allow
        wanted["parallel"] = parallel_requests(load_settings(), engine)
    try:
        return GenerationRequest(model=model, count=count, **wanted)
    except TypeError as exc:
        raise InputError(f"Unknown generation option: {exc}.") from exc


def plan(
    reading: Reading,
    model: str,
    *,
    count: int = 3,
    engine: Engine | None = None,
    store: Store | None = None,
    **options: Any,
) -> Plan:
    """How the study will be sent to ``model``: one prompt, or parts then a synthesis.

    Nothing is generated; the engine is asked only for the model's context length. With
    ``store`` (History), the plan's time estimate uses the model's speed in past runs.
    """
    engine = engine or default_engine()
    request = _request(model, count, engine, options)
    speed = expected_speed(store, model, engine.describe(model).parameters)
    return make_plan(engine, reading.passages, request, speed=speed)


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
    reading: Reading,
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
    **options: Any,
) -> GenerationJob:
    """Write ``count`` personas from ``reading`` with ``model``; iterate the job to run it.

    ``options`` are :class:`~persona.generation.generate.GenerationRequest` fields
    (``context``, ``temperature``, ``seed``, ``parallel``, ``language``...). ``plan`` reuses
    one made by :func:`plan` with the same settings. The run belongs to ``study`` (default:
    named after the files) and records the table ``columns`` it was read with; with
    ``frontier_model`` it is saved as the draft stage of a hybrid run.
    """
    if not reading.passages:
        raise InputError("Nothing was read from those files; see reading.reports for why.")
    engine = engine or default_engine()
    saved = SavedGeneration(
        engine,
        reading,
        _request(model, count, engine, options),
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
    reading: Reading, run_id: str, *, engine: Engine | None = None, store: Store | None = None
) -> GenerationJob:
    """Finish a failed or interrupted run from its saved findings: only the missing calls.

    ``reading`` must hold the run's files again (same content, any order).
    """
    saved = SavedGeneration.resume(engine or default_engine(), reading, store or Store(), run_id)
    return GenerationJob(saved)


def verify(personas: Sequence[Persona], reading: Reading) -> list[Persona]:
    """The personas with the checks every version gets
    (:func:`~persona.generation.checks.check_personas`): every quote checked word for word
    against the study (``verified``), weak support, who each persona is based on, and
    ``unusable`` with its reasons."""
    return check_personas(list(personas), reading.passages)


@dataclass(frozen=True)
class ExportedFile:
    """A run in one export format: its file name, bytes and MIME type (for a download)."""

    name: str
    data: bytes
    mime: str


def export_file(
    run: Run, format: ExportFormat = "md", *, passages: Sequence[Passage] | None = None
) -> ExportedFile:
    """The run as a JSON, Markdown, CSV, PDF or Word (``docx``) file named after its study
    and time. ``passages`` (the research text) add each quote's context to Markdown."""
    return ExportedFile(*export_run(run, format, passages))


def save_export(
    run: Run,
    format: ExportFormat,
    target: str | Path,
    *,
    passages: Sequence[Passage] | None = None,
) -> Path:
    """Write the run into the folder ``target`` (or to the file path ``target``) and return
    the path written. An existing file is never replaced: ``-2``, ``-3``... is added."""
    exported = export_file(run, format, passages=passages)
    return write_new(Path(target), exported.name, exported.data)


def export(
    run: Run,
    format: ExportFormat = "md",
    path: str | Path | None = None,
    *,
    passages: Sequence[Passage] | None = None,
) -> bytes:
    """The run as JSON, Markdown, CSV, PDF or Word (``docx``) bytes; also written to ``path``
    when given.

    An existing file is never overwritten: that raises :class:`InputError`.
    """
    data = export_file(run, format, passages=passages).data
    if path is not None:
        target = Path(path)
        try:
            with target.open("xb") as file:
                file.write(data)
        except FileExistsError as exc:
            raise InputError(f"{target} already exists; choose another file name.") from exc
        except OSError as exc:
            raise InputError(f"Could not write {target} ({exc.strerror or exc}).") from exc
    return data


def study_passages(run: Run, reading: Reading | None = None) -> list[Passage] | None:
    """The run's research passages with the IDs its personas cite, from ``reading`` (the
    run's files again, checked by fingerprint) or the copy History kept; None when neither
    is at hand. Files that are not the run's raise :class:`InputError` saying which.

    Files read again are numbered in the run's order, as when the run read them, whatever
    order they come in now."""
    if reading is None and not run.research_text:
        return None
    passages = run_passages(run, reading)
    if reading is not None and reading.documents:
        passages = with_passage_ids([replace(p, id="") for p in passages])
    return passages


@dataclass(frozen=True)
class Edited:
    """A persona edited by hand, as saved: a new version of its record."""

    run: Run
    """The run with the edit (``run.personas[index]`` is the edited persona)."""
    index: int
    changes: list[FieldChange]
    """Field by field, what the edit changed from the version before it."""
    checked_against_data: bool
    """The quotes were checked against the study's passages (else each kept its verdict)."""

    @property
    def persona(self) -> Persona:
        return self.run.personas[self.index]


def edit(
    run: Run | str,
    persona: int,
    change: PersonaEdit,
    *,
    reading: Reading | None = None,
    passages: Sequence[Passage] | None = None,
    store: Store | None = None,
) -> Edited:
    """Edit persona ``persona`` (from 0) of ``run`` (or a run ID) by hand, and save it in
    History as a new version; every earlier version is kept and exports and chat use it.

    ``change`` holds new wording and, per statement, citations as passage IDs of the study
    (never quote text: each quote is the passage's words). Citing a passage needs the
    study's passages: ``passages`` (from :func:`study_passages`), else ``reading`` (the run's
    files again) or the copy History kept. The
    edited persona gets the checks every version gets; raises :class:`InputError` for an
    empty name or statement, an unknown passage, or an edit that changes nothing.
    """
    store = store or Store()
    saved = store.get(run) if isinstance(run, str) else run
    if not 0 <= persona < len(saved.records):
        raise InputError(
            f"Run {saved.id} has no persona number {persona + 1}; it has {len(saved.records)}."
        )
    if passages is None:
        passages = study_passages(saved, reading)
    record = saved.records[persona]
    by_id = {p.id: p for p in passages} if passages is not None else None
    edited = apply_edit(record.current, change, by_id, files=[f.name for f in saved.files])
    if edited == record.current:
        raise InputError("Nothing was changed: edit a field or a citation, then save.")
    others = [p for i, p in enumerate(saved.personas) if i != persona]
    checked = check_edited(edited, others, passages, speakers=saved.speakers)
    new_record = record.model_copy(update={"edits": [*record.edits, checked]})
    store.update_record(saved.id, persona, new_record)
    records = [new_record if i == persona else r for i, r in enumerate(saved.records)]
    updated = saved.model_copy(update={"records": records})
    changes = field_changes(record.current, checked)
    return Edited(updated, persona, changes, checked_against_data=passages is not None)


def open_history(path: str | Path | None = None) -> Store:
    """History: every run saved on this machine (``.list()``, ``.get(run_id)``, ``.delete``)."""
    return Store(Path(path) if path is not None else None)


def to_dataframe(run: Run) -> pd.DataFrame:
    """One row per quote (or per claim without one), the columns of the CSV export: persona,
    its status (usable or unusable with reasons), section, claim, quote, source, locator,
    passage ID, the quote's verdict, support notes, the participants the persona represents
    and its share of the study. Needs pandas (``pip install pandas``)."""
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise PersonaError("to_dataframe needs pandas: pip install pandas") from exc
    return pd.DataFrame(quote_table(run), columns=list(CSV_COLUMNS))
