"""Comparing models on one study: runs side by side, personas aligned.

:func:`compare` is the one way every face starts a comparison: it makes the request as
:func:`persona.api.generate` does (parallel requests from the settings and the engine) and
reads the study with its saved choices, so the dashboard and the ``persona compare`` command
run the same comparison for the same inputs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from persona.api.engines import default_engine
from persona.api.runs import generation_request
from persona.api.studies import studies_of, study_reading
from persona.core.errors import InputError
from persona.core.progress import Progress
from persona.engines.base import Engine
from persona.generation.compare import Comparison, Contender, Entry, align, side_by_side
from persona.generation.request import GenerationOptions
from persona.history.store import Store
from persona.ingest import Reading
from persona.studydata.reading import saved_choices

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "CompareJob",
    "align",
    "compare",
    "side_by_side",
]


class CompareJob:
    """A comparison in progress: iterate it for :class:`Progress` events (each message starts
    with its model); ``entries`` is the result, one per model started so far.

    Each model's run is saved to History as it goes, so stopping the iteration early keeps
    what was made (the run in progress is then marked interrupted).
    """

    def __init__(self, comparison: Comparison) -> None:
        self._comparison = comparison
        self._events: Iterator[Progress] | None = None

    def __iter__(self) -> Iterator[Progress]:
        if self._events is not None:
            raise InputError("This comparison has already run; start a new one with compare().")
        self._events = self._comparison.events()
        return self._events

    @property
    def models(self) -> list[str]:
        """The models compared, in the order they run."""
        return [contender.model for contender in self._comparison.contenders]

    @property
    def parallel(self) -> int:
        """Model calls each run sends at once."""
        return self._comparison.request.parallel

    @property
    def entries(self) -> list[Entry]:
        """Each model's run (or why it failed), in the order they ran."""
        return list(self._comparison.entries)

    def wait(self) -> list[Entry]:
        """Run to the end without looking at progress; returns the entries."""
        for _ in self if self._events is None else self._events:
            pass
        return self.entries


def compare(
    models: Sequence[str],
    reading: Reading | None = None,
    *,
    study: str = "",
    count: int = 3,
    keep_research_text: bool = False,
    engine: Engine | None = None,
    store: Store | None = None,
    **options: Unpack[GenerationOptions],
) -> CompareJob:
    """The same study through two or three ``models``, one after the other; iterate the job
    to run it. Every run is saved to History in ``study`` (default: named after the files).

    ``reading`` None compares on the files of ``study``, read with its saved choices (which
    every run records). ``options`` are the request's settings, as for
    :func:`persona.api.generate` (``parallel`` left out: what the settings and the engine allow).
    """
    columns = None
    if reading is None:
        if not study.strip():
            raise InputError("Give the files to read, or the study whose files to use.")
        reading = study_reading(study, store=store)
        columns = saved_choices(studies_of(store).get(study).choices)
    if not reading.passages:
        raise InputError(
            f"The study {study!r} has no files to read: add some first."
            if study
            else "Nothing was read from those files; see reading.reports for why."
        )
    engine = engine or default_engine()
    request = generation_request(models[0] if models else "-", count, engine, options)
    comparison = Comparison(
        [Contender(engine, model) for model in models],
        reading,
        request,
        store or Store(),
        keep_research_text=keep_research_text,
        study=study,
        columns=columns,
    )
    return CompareJob(comparison)
