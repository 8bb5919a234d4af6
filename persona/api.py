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
from persona.core.errors import InputError, PersonaError
from persona.core.progress import Progress
from persona.core.records import Run
from persona.core.schema import Persona
from persona.core.settings import load_settings
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
from persona.history.studies import SearchHit, Studies, Study, StudyListing
from persona.ingest import Interviewers, Reading, read_files, read_paths
from persona.ingest.columns import Choices, choices_to_options
from persona.ingest.sample import sample_files
from persona.studydata import Added, add_files, read_study, reindex
from persona.studydata import run_reading as _run_reading
from persona.studydata.reading import saved_choices

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Added",
    "ClaimEdit",
    "Edited",
    "ExportedFile",
    "GenerationJob",
    "PersonaEdit",
    "SearchHit",
    "Study",
    "StudyListing",
    "add_to_study",
    "can_resume",
    "create_study",
    "default_engine",
    "delete_study",
    "edit",
    "export",
    "export_file",
    "generate",
    "open_history",
    "plan",
    "read",
    "read_uploads",
    "remove_from_study",
    "rename_study",
    "resume",
    "run_reading",
    "save_export",
    "search_study",
    "set_study_choices",
    "studies",
    "study",
    "study_passages",
    "study_reading",
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
    **options: Any,
) -> Plan:
    """How the study will be sent to ``model``: one prompt, or parts then a synthesis.

    ``reading`` None plans the files of ``study``. Nothing is generated; the engine is asked
    only for the model's context length. With ``store`` (History), the plan's time estimate
    uses the model's speed in past runs.
    """
    reading = _reading_of(reading, study, store)
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
    **options: Any,
) -> GenerationJob:
    """Write ``count`` personas from ``reading`` with ``model``; iterate the job to run it.

    ``options`` are :class:`~persona.generation.generate.GenerationRequest` fields
    (``context``, ``temperature``, ``seed``, ``parallel``, ``language``...). ``plan`` reuses
    one made by :func:`plan` with the same settings. The run belongs to ``study`` (default:
    named after the files; created if needed) and records the table ``columns`` it was read
    with; with ``frontier_model`` it is saved as the draft stage of a hybrid run.

    ``reading`` None generates from the files of ``study``, read with its saved choices.
    """
    if reading is None:
        reading = _reading_of(None, study, store)
        if columns is None:
            columns = saved_choices(_studies(store).get(study).choices)
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
        run = store.get(run_id)
        reading = _run_reading(_studies(store), run)
        if reading is None:
            names = ", ".join(f.name for f in run.files) or "its files"
            raise InputError(
                f"The files of run {run_id} ({names}) are not in its study "
                f"{run.study or '(none)'}: add them to the study, or give them again "
                f"(`persona resume {run_id} FILES...`)."
            )
    saved = SavedGeneration.resume(engine or default_engine(), reading, store, run_id)
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
        reading = _run_reading(_studies(store), run)
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
        passages = study_passages(saved, reading, store=store)
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


# --- studies -----------------------------------------------------------------------------


def _studies(store: Store | None) -> Studies:
    return Studies(store or Store())


def create_study(name: str, *, store: Store | None = None) -> Study:
    """A new, empty study named ``name`` (spaces tidied); InputError when the name is empty
    or another study has it (capitals ignored)."""
    studies = _studies(store)
    return studies.get(studies.create(name))


def add_to_study(
    name: str,
    files: Iterable[str | Path | tuple[str, bytes]],
    *,
    replace: bool = False,
    choices: Choices | None = None,
    interviewers: Interviewers | None = None,
    max_mb: float | None = None,
    store: Store | None = None,
) -> Added:
    """Copy research files into the study ``name`` (created if needed) and read them.

    ``files`` are paths of files or folders, or ``(name, bytes)`` uploads. Every file gets a
    report (``added.reading.reports``): read and kept, or why not. A file already in the
    study with the same name and content is not added twice (``added.unchanged``); one with
    the same name and other content is refused (``added.conflicts``) unless ``replace``.
    A recording must be transcribed first (:mod:`persona.transcribe`); the study keeps its
    reviewed transcript, so it is never transcribed again.

    ``choices`` (sheets and column roles of tables) and ``interviewers`` (of transcripts),
    by file name or ``*`` for every file given, are how these files are read; they are saved
    with the study (see :func:`set_study_choices`). Left out: the study's saved ones."""
    return add_files(
        _studies(store),
        name,
        files,
        max_bytes=_limit(max_mb),
        replace_changed=replace,
        choices=choices,
        interviewers=interviewers,
    )


def studies(*, store: Store | None = None) -> list[StudyListing]:
    """Every study on this machine (files, passages, runs), the latest used first."""
    return _studies(store).list()


def study(name: str, *, store: Store | None = None) -> Study:
    """The study ``name`` (capitals ignored): its files, passages, runs and choices."""
    return _studies(store).get(name)


def study_reading(name: str, *, store: Store | None = None) -> Reading:
    """Every file of the study read from its copy, in the order added, with the study's
    saved choices. Each file is read once per content and choice (cached), so calling this
    again is cheap."""
    return read_study(_studies(store), name)


def set_study_choices(
    name: str,
    *,
    choices: Choices | None = None,
    interviewers: Interviewers | None = None,
    store: Store | None = None,
) -> Reading:
    """Change how the study's tables (``choices``: sheets and column roles by file name) and
    transcripts (``interviewers`` by file name, "" for nobody) are read; the ones given
    replace the saved ones for those files. Nothing is saved when a file cannot be read
    with them (InputError saying why). Returns the study read with them."""
    studies = _studies(store)
    current = studies.get(name)
    new_choices = {**current.choices, **choices_to_options(choices)}
    new_interviewers = {**current.interviewers, **dict(interviewers or {})}
    reading = read_study(
        studies,
        name,
        choices=saved_choices(new_choices),
        interviewers=new_interviewers,
    )
    if reading.failed:
        raise InputError(" ".join(report.error for report in reading.failed))
    studies.set_choices(name, new_choices, new_interviewers)
    return reindex(studies, name)


def remove_from_study(name: str, files: Iterable[str], *, store: Store | None = None) -> list[str]:
    """Remove files from the study, deleting their copies (its runs keep their personas);
    returns the names removed. InputError, listing the study's files, for a name not in it."""
    return _studies(store).remove_files(name, files)


def delete_study(name: str, *, store: Store | None = None) -> int:
    """Delete the study and the copies of its files; its runs stay in History (without a
    study). Returns how many runs it had."""
    return _studies(store).delete(name)


def rename_study(old: str, new: str, *, store: Store | None = None) -> Study:
    """Rename a study; its files, choices, runs and chats go with it."""
    studies = _studies(store)
    current = studies.get(old)
    if not new.strip():
        raise InputError("Give the study a name.")
    if current.name.casefold() != " ".join(new.split()).casefold() and studies.exists(new):
        raise InputError(f"A study named {new!r} already exists: choose another name.")
    studies.store.rename_study(current.name, new)
    return studies.get(new)


def run_reading(run: Run, *, store: Store | None = None) -> Reading | None:
    """The run's files read again from its study, as the run read them (its column choices
    and interviewers): for chat, edits and resuming without uploading. None when its study
    no longer holds every one of them."""
    return _run_reading(_studies(store), run)


def search_study(
    name: str, query: str, limit: int = 50, *, store: Store | None = None
) -> list[SearchHit]:
    """Passages of the study that contain the words of ``query`` (accents and capitals
    ignored; ``"a phrase"``, ``word*``, ``OR``, ``NOT``), best first. A query FTS5 cannot
    read (a stray quote) is searched as plain words, never an error. Each hit has the
    passage's ID, file, participant and locator, for "Read in context"."""
    return _studies(store).search(name, query, limit)


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
