"""Research files added to a study: copied into its folder, read, indexed for search.

A file already in the study under the same name with the same content is not added twice;
one with the same name and other content is refused with the choice spelled out (rename it,
remove the old one, or replace it). Files that cannot be read are reported and not kept.
A recording is kept as its reviewed transcript (WebVTT), so it is transcribed only once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from persona.core.documents import Document
from persona.core.errors import InputError
from persona.core.paths import typed_path
from persona.core.settings import load_settings
from persona.history.studies import Studies, StudyFile
from persona.ingest import Interviewers, Reading
from persona.ingest.interviewers import interviewer_for
from persona.ingest.kinds import check_size, folder_files
from persona.ingest.preview import is_table
from persona.ingest.reading import gather, read_file, read_recording
from persona.ingest.report import FileReport
from persona.ingest.roles import Choices, TableChoice, choice_for, choices_to_options
from persona.studydata.reading import saved_choices
from persona.transcribe import is_recording, kept_transcript

Upload = tuple[str, bytes]
"""A file in memory: its name and bytes (the dashboard's uploads)."""


@dataclass(frozen=True)
class Added:
    """What adding files to a study did, one report per file given (in order)."""

    study: str
    """The study's name as stored."""
    reading: Reading
    """The files as read: reports for every file, passages of those read (numbered within
    this batch; :func:`~persona.studydata.read_study` numbers the whole study)."""
    added: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    """Already in the study with the same content: not added twice."""
    conflicts: tuple[str, ...] = ()
    """In the study under the same name with other content: not added (see the report)."""

    @property
    def failed(self) -> list[FileReport]:
        return self.reading.failed

    @property
    def changed(self) -> bool:
        return bool(self.added or self.replaced)


def add_files(
    studies: Studies,
    name: str,
    files: Iterable[str | Path | Upload],
    *,
    max_bytes: int | None = None,
    replace_changed: bool = False,
    choices: Choices | None = None,
    interviewers: Interviewers | None = None,
) -> Added:
    """Add ``files`` (paths of files or folders, or ``(name, bytes)`` uploads) to the study
    ``name``, creating it if needed. ``replace_changed`` replaces a file of the same name
    whose content differs (else it is refused, saying so).

    ``choices`` (table sheets and column roles) and ``interviewers`` (of transcripts), by
    file name or ``*`` for every file given, are how these files are read; they are saved
    with the study for each file they apply to. Left out: the study's saved ones."""
    study_name = studies.ensure(name)
    study = studies.get(study_name)
    limit = load_settings().max_file_bytes if max_bytes is None else max_bytes
    saved_tables = saved_choices(study.choices)
    new_tables: dict[str, TableChoice] = {}
    new_interviewers: dict[str, str] = {}
    results: list[tuple[Document | None, FileReport]] = []
    added: list[str] = []
    replaced: list[str] = []
    unchanged: list[str] = []
    conflicts: list[str] = []
    known = {f.name: f.sha256 for f in study.files}  # kept up to date: a name given twice
    for file, source in _sources(files):
        if isinstance(source, FileReport):
            results.append((None, source))
            continue
        old = known.get(file)
        table = choice_for(choices, file)
        asking = interviewer_for(interviewers, file)
        try:
            document, report, copy = _read(
                file,
                source,
                limit,
                table or choice_for(saved_tables, file),
                asking if asking is not None else interviewer_for(study.interviewers, file),
            )
        except InputError as exc:
            results.append((None, FileReport(file, ok=False, error=str(exc))))
            continue
        if document is None or copy is None:
            results.append((None, report))
            continue
        if table is not None and is_table(file):
            new_tables[file] = table
        if asking is not None and report.speakers:
            new_interviewers[file] = asking
        if old == document.sha256:
            if document.kind == "recording":  # its transcript may have been reviewed since
                _keep(studies, study_name, document, copy)
            elif file in new_tables or file in new_interviewers:  # read another way now
                studies.update_passages(study_name, file, document.passages)
            note = f"already in the study {study_name!r} with the same content, not added again"
            results.append((document, replace(report, warnings=(*report.warnings, note))))
            unchanged.append(file)
            continue
        if old is not None and not replace_changed:
            new_tables.pop(file, None)
            new_interviewers.pop(file, None)
            error = _conflict(study_name, file)
            results.append((None, replace(report, ok=False, error=error)))
            conflicts.append(file)
            continue
        twin = next((n for n, sha256 in known.items() if sha256 == document.sha256), None)
        if twin is not None:
            note = f"same content as {twin} already in the study, so its passages count twice"
            report = replace(report, warnings=(*report.warnings, note))
        _keep(studies, study_name, document, copy)
        known[file] = document.sha256
        (replaced if old is not None else added).append(file)
        results.append((document, report))
    if new_tables or new_interviewers:
        studies.set_choices(
            study_name,
            {**study.choices, **choices_to_options(new_tables)},
            {**study.interviewers, **new_interviewers},
        )
    return Added(
        study_name,
        gather(results),
        tuple(added),
        tuple(replaced),
        tuple(unchanged),
        tuple(conflicts),
    )


def _conflict(study: str, file: str) -> str:
    return (
        f"{file} is already in the study {study!r} with different content, so it was not "
        "added. Rename the new file to keep both, or choose to replace the old one (on the "
        f"command line: `persona study add --replace`, or `persona study remove {study!r} "
        f"{file!r}` first)."
    )


def _keep(studies: Studies, study: str, document: Document, copy: bytes) -> StudyFile:
    return studies.add_file(
        study,
        document.name,
        copy,
        sha256=document.sha256,
        size_bytes=document.size_bytes,
        kind=document.kind,
        passages=document.passages,
    )


def _sources(
    files: Iterable[str | Path | Upload],
) -> list[tuple[str, bytes | Path | FileReport]]:
    """Each file to add with its name; a folder gives its readable files (named by their
    path in it); a path that is not there gives a report saying so."""
    found: list[tuple[str, bytes | Path | FileReport]] = []
    for item in files:
        if isinstance(item, tuple):
            found.append(item)
            continue
        path = typed_path(item)
        if path.is_dir():
            inside = folder_files(path)
            if not inside:
                error = f"{item}: the folder has no files Persona can read."
                found.append((str(item), FileReport(str(item), ok=False, error=error)))
            found += [(f.relative_to(path).as_posix(), f) for f in inside]
        elif path.exists():
            found.append((path.name, path))
        else:
            error = f"{item}: no such file or folder. Check the path."
            found.append((str(item), FileReport(str(item), ok=False, error=error)))
    return found


def _read(
    name: str,
    source: bytes | Path,
    limit: int,
    choice: TableChoice | None,
    interviewer: str | None,
) -> tuple[Document | None, FileReport, bytes | None]:
    """The file read, and the bytes the study keeps of it (a recording: its transcript)."""
    if is_recording(name):
        size = len(source) if isinstance(source, bytes) else _size(source)
        document, report = read_recording(name, source, size)
        if document is None:
            return None, report, None
        transcript = kept_transcript(document.sha256, name=name)
        vtt = transcript.to_vtt().encode("utf-8") if transcript is not None else None
        return document, report, vtt
    if isinstance(source, Path):
        check_size(name, _size(source), limit)
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise InputError(
                f"{name} could not be opened ({exc.strerror or exc}). Check its permissions."
            ) from exc
    else:
        data = source
    document, report = read_file(name, data, limit, choice, interviewer)
    return document, report, data


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
