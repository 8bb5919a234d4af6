"""Studies: the researcher's files kept on this machine, so every page works on them.

A study holds copies of its files (interviews, surveys, transcripts, reviewed transcripts of
recordings), how its tables and transcripts are read, and a search index of its passages.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from persona.api.reading import limit_bytes
from persona.core.errors import InputError
from persona.core.records import Run, suggest_study
from persona.history.store import Store
from persona.history.studies import Studies, Study, StudyListing
from persona.history.study_search import SearchHit
from persona.ingest import Interviewers, Reading
from persona.ingest.roles import Choices, choices_to_options
from persona.studydata import Added, add_files, read_study, reindex
from persona.studydata import run_reading as _run_reading
from persona.studydata.reading import saved_choices

__all__ = [
    "add_to_study",
    "create_study",
    "delete_study",
    "remove_from_study",
    "rename_study",
    "run_reading",
    "search_study",
    "set_study_choices",
    "studies",
    "study",
    "study_reading",
    "suggest_study",
]


def studies_of(store: Store | None) -> Studies:
    return Studies(store or Store())


def create_study(name: str, *, store: Store | None = None) -> Study:
    """A new, empty study named ``name`` (spaces tidied); InputError when the name is empty
    or another study has it (capitals ignored)."""
    studies = studies_of(store)
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
        studies_of(store),
        name,
        files,
        max_bytes=limit_bytes(max_mb),
        replace_changed=replace,
        choices=choices,
        interviewers=interviewers,
    )


def studies(*, store: Store | None = None) -> list[StudyListing]:
    """Every study on this machine (files, passages, runs), the latest used first."""
    return studies_of(store).list()


def study(name: str, *, store: Store | None = None) -> Study:
    """The study ``name`` (capitals ignored): its files, passages, runs and choices."""
    return studies_of(store).get(name)


def study_reading(name: str, *, store: Store | None = None) -> Reading:
    """Every file of the study read from its copy, in the order added, with the study's
    saved choices. Each file is read once per content and choice (cached), so calling this
    again is cheap."""
    return read_study(studies_of(store), name)


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
    studies = studies_of(store)
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
    return studies_of(store).remove_files(name, files)


def delete_study(name: str, *, store: Store | None = None) -> int:
    """Delete the study and the copies of its files; its runs stay in History (without a
    study). Returns how many runs it had."""
    return studies_of(store).delete(name)


def rename_study(old: str, new: str, *, store: Store | None = None) -> Study:
    """Rename a study; its files, choices, runs and chats go with it."""
    studies = studies_of(store)
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
    return _run_reading(studies_of(store), run)


def search_study(
    name: str, query: str, limit: int = 50, *, store: Store | None = None
) -> list[SearchHit]:
    """Passages of the study that contain the words of ``query`` (accents and capitals
    ignored; ``"a phrase"``, ``word*``, ``OR``, ``NOT``), best first. A query FTS5 cannot
    read (a stray quote) is searched as plain words, never an error. Each hit has the
    passage's ID, file, participant and locator, for "Read in context"."""
    return studies_of(store).search(name, query, limit)
