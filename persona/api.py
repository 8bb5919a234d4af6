"""The Python API: the few calls a researcher needs in a notebook.

>>> import persona
>>> study = persona.read("interviews/", "survey.csv")
>>> job = persona.generate(study, model="llama3.2:3b", count=3)
>>> for event in job:
...     print(event.message)
>>> persona.to_dataframe(job.run).head()

Every call is the same function the dashboard and the ``persona`` command use: reading
reports every file, plans fit the model's context, every run is saved to History as it goes,
every quote is checked against the data.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from persona.core.engine_settings import load_settings
from persona.core.errors import InputError, PersonaError
from persona.core.progress import Progress
from persona.core.records import Run
from persona.core.schema import Persona
from persona.engines.base import Engine
from persona.engines.registry import make_engine
from persona.generation.evidence import verify_personas
from persona.generation.generate import GenerationRequest, make_plan
from persona.generation.pipeline import SavedGeneration
from persona.generation.planner import Plan
from persona.history.export import CSV_COLUMNS, cite, quote_rows, support_label
from persona.history.formats import ExportFormat, export_run
from persona.history.store import Store
from persona.history.study_report import persona_columns
from persona.ingest import Reading, read_paths

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "GenerationJob",
    "default_engine",
    "export",
    "generate",
    "open_history",
    "plan",
    "read",
    "to_dataframe",
    "verify",
]


def default_engine() -> Engine:
    """The engine Persona's settings choose: ``settings.toml`` (the Settings page), then the
    environment (``PERSONA_ENGINE``, ``OLLAMA_HOST``, ``OPENAI_BASE_URL``...); Ollama at
    ``127.0.0.1:11434`` by default."""
    return make_engine(load_settings())


def read(*paths: str | Path, max_mb: float | None = None) -> Reading:
    """Read research files and folders into passages, with a report per file.

    A file that cannot be read is reported (``reading.failed``) and never stops the others.
    """
    if not paths:
        raise InputError("Name at least one file or folder to read.")
    limit = None if max_mb is None else int(max_mb * 1024 * 1024)
    return read_paths(list(paths), max_bytes=limit)


def _request(model: str, count: int, options: dict[str, Any]) -> GenerationRequest:
    try:
        return GenerationRequest(model=model, count=count, **options)
    except TypeError as exc:
        raise InputError(f"Unknown generation option: {exc}.") from exc


def plan(
    reading: Reading,
    model: str,
    *,
    count: int = 3,
    engine: Engine | None = None,
    **options: Any,
) -> Plan:
    """How the study will be sent to ``model``: one prompt, or parts then a synthesis.

    Nothing is generated; the engine is asked only for the model's context length.
    """
    return make_plan(engine or default_engine(), reading.passages, _request(model, count, options))


class GenerationJob:
    """A generation in progress: iterate it for :class:`Progress` events; ``run`` is the result.

    The run is saved to History as it goes, so stopping the iteration early keeps what was
    made (the run is then marked interrupted).
    """

    def __init__(self, local: SavedGeneration) -> None:
        self._local = local
        self._events: Iterator[Progress] | None = None

    def __iter__(self) -> Iterator[Progress]:
        if self._events is not None:
            raise InputError("This generation has already run; start a new one with generate().")
        self._events = self._local.events()
        return self._events

    @property
    def plan(self) -> Plan:
        return self._local.generation.plan

    @property
    def run(self) -> Run:
        """The run as saved: its personas, status, warnings and usage."""
        return self._local.run

    @property
    def warnings(self) -> list[str]:
        return list(self._local.generation.result.warnings)

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
    keep_research_text: bool = False,
    **options: Any,
) -> GenerationJob:
    """Write ``count`` personas from ``reading`` with ``model``; iterate the job to run it.

    ``options`` are :class:`~persona.generation.generate.GenerationRequest` fields
    (``context``, ``temperature``, ``seed``...).
    """
    if not reading.passages:
        raise InputError("Nothing was read from those files; see reading.reports for why.")
    local = SavedGeneration(
        engine or default_engine(),
        reading,
        _request(model, count, options),
        store or Store(),
        keep_research_text=keep_research_text,
    )
    return GenerationJob(local)


def verify(personas: Sequence[Persona], reading: Reading) -> list[Persona]:
    """The personas with every quote checked against the study (``verified``, ``score``)."""
    return verify_personas(list(personas), reading.passages)


def export(run: Run, format: ExportFormat = "md", path: str | Path | None = None) -> bytes:
    """The run as JSON, Markdown, CSV, PDF or Word (``docx``) bytes; also written to ``path``
    when given.

    An existing file is never overwritten.
    """
    _, data, _ = export_run(run, format)
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


def open_history(path: str | Path | None = None) -> Store:
    """History: every run saved on this machine (``.list()``, ``.get(run_id)``, ``.delete``)."""
    return Store(Path(path) if path is not None else None)


def to_dataframe(run: Run) -> pd.DataFrame:
    """One row per quote (or per claim without one): persona, section, claim, quote, source,
    locator, passage ID, verified, support, the participants the persona represents and its
    share of the study. Needs pandas (``pip install pandas``)."""
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise PersonaError("to_dataframe needs pandas: pip install pandas") from exc
    rows = []
    for persona, study in zip(run.personas, persona_columns(run), strict=True):
        for who, section, claim_text, ev in quote_rows(persona):
            source, locator = cite(ev) if ev else ("", "")
            quote, verified = (ev.quote, ev.verified) if ev else ("", None)
            passage, support = (ev.passage or "", support_label(ev)) if ev else ("", "")
            rows.append(
                (
                    who.name,
                    section,
                    claim_text,
                    quote,
                    source,
                    locator,
                    passage,
                    verified,
                    support,
                    *study,
                )
            )
    return pd.DataFrame(rows, columns=list(CSV_COLUMNS))
