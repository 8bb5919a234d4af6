"""A study's files read back from their copies, with the choices saved for them.

Each file is read once per fingerprint and choice (a small in-memory cache), so a page that
reruns on every click does not read the study again; a recording is never transcribed again:
its passages come from the transcript kept for its bytes (:mod:`persona.transcribe`), else
from the reviewed transcript the study keeps as WebVTT.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from functools import lru_cache
from typing import Any

from persona.core.documents import Document
from persona.core.errors import InputError
from persona.core.records import Run
from persona.history.studies import Studies, StudyFile
from persona.ingest import Interviewers, Reading, read_file
from persona.ingest.interviewers import check_interviewers, interviewer_for
from persona.ingest.reading import gather, read_transcribed
from persona.ingest.report import FileReport
from persona.ingest.roles import Choices, TableChoice, choice_for, choices_from_options
from persona.ingest.transcripts import parse_captions
from persona.transcribe import INTERVIEWER, Segment, Transcript, kept_revision, kept_transcript

_CACHED_FILES = 256
_CACHED_READINGS = 8


def saved_choices(options: Mapping[str, Any]) -> dict[str, TableChoice]:
    """Table choices as a study saves them (``Study.choices``)."""
    return choices_from_options({"columns": options})


def read_study(
    studies: Studies,
    name: str,
    *,
    choices: Choices | None = None,
    interviewers: Interviewers | None = None,
    files: Iterable[str] | None = None,
) -> Reading:
    """The study's files read from their copies, in the order they were added, with the
    choices saved for the study (or ``choices`` and ``interviewers`` given instead);
    ``files`` keeps only those files.

    The same files read the same way give the same reading without reading anything again
    (a fresh copy each time: callers may renumber it)."""
    study = studies.get(name, with_runs=False)
    if choices is None:
        choices = saved_choices(study.choices)
    if interviewers is None:
        interviewers = dict(study.interviewers)
    wanted = None if files is None else set(files)
    keys = tuple(
        _key(f, choice_for(choices, f.name), interviewer_for(interviewers, f.name))
        for f in study.files
        if wanted is None or f.name in wanted
    )
    cached = _reading_of(keys)
    reading = Reading(
        documents=[replace(d, passages=list(d.passages)) for d in cached.documents],
        reports=list(cached.reports),
    )
    check_interviewers(reading, interviewers)
    return reading


def run_reading(studies: Studies, run: Run) -> Reading | None:
    """The run's files from its study, read as the run read them (its column choices and
    interviewers); None when the run has no study or its study lacks one of its files."""
    if not run.study or not run.files or not studies.exists(run.study):
        return None
    study = studies.get(run.study)
    wanted = {f.sha256 for f in run.files}
    if wanted - {f.sha256 for f in study.files}:
        return None
    return read_study(
        studies,
        study.name,
        choices=choices_from_options({"columns": run.options.columns}),
        interviewers=run.options.interviewers,
        files=[f.name for f in study.files if f.sha256 in wanted],
    )


def reindex(studies: Studies, name: str) -> Reading:
    """Read the study with its saved choices and index every file's passages for search
    again (after the choices changed); returns the reading."""
    study = studies.get(name)
    reading = read_study(studies, name)
    failed = [r for r in reading.reports if not r.ok]
    if failed:
        raise InputError(" ".join(r.error for r in failed))
    for document in reading.documents:
        if study.file(document.name) is not None:
            studies.update_passages(name, document.name, document.passages)
    return reading


_Key = tuple[StudyFile, str, str, str | None] | FileReport
"""A file of a study as read: the file, its copy's stamp, the choice (JSON) and interviewer
it is read with; or why its copy cannot be read."""


def _key(file: StudyFile, choice: TableChoice | None, interviewer: str | None) -> _Key:
    try:
        info = file.path.stat()
    except OSError as exc:
        error = (
            f"The study's copy of {file.name} is missing or cannot be opened "
            f"({exc.strerror or exc}): remove it from the study and add it again."
        )
        return FileReport(file.name, ok=False, kind=file.kind, error=error)
    stamp = f"{info.st_mtime_ns}:{info.st_size}"
    if file.kind == "recording":
        stamp += "|" + kept_revision([file.sha256])
    choice_key = json.dumps(choice.to_dict(), sort_keys=True) if choice else ""
    return file, stamp, choice_key, interviewer


@lru_cache(maxsize=_CACHED_READINGS)
def _reading_of(keys: tuple[_Key, ...]) -> Reading:
    """The files of ``keys`` as one numbered reading (each file read once: see below)."""
    results: list[tuple[Document | None, FileReport]] = []
    for key in keys:
        if isinstance(key, FileReport):
            results.append((None, key))
            continue
        document, report = _read_cached(*key)
        copy = None if document is None else replace(document, passages=list(document.passages))
        results.append((copy, report))
    return gather(results)


@lru_cache(maxsize=_CACHED_FILES)
def _read_cached(
    file: StudyFile, stamp: str, choice: str, interviewer: str | None
) -> tuple[Document | None, FileReport]:
    del stamp  # part of the cache key only: the copy or its transcript changed
    try:
        data = file.path.read_bytes()
    except OSError as exc:
        error = f"The study's copy of {file.name} cannot be opened ({exc.strerror or exc})."
        return None, FileReport(file.name, ok=False, kind=file.kind, error=error)
    if file.kind == "recording":
        transcript = kept_transcript(file.sha256, name=file.name) or transcript_of_vtt(file, data)
        return read_transcribed(file.name, transcript, file.size_bytes)
    table = TableChoice.from_dict(json.loads(choice)) if choice else None
    return read_file(file.name, data, max(len(data), 1), table, interviewer)


def transcript_of_vtt(file: StudyFile, data: bytes) -> Transcript:
    """A recording's reviewed transcript from the WebVTT the study keeps of it
    (``Transcript.to_vtt``): the interviewer's cues stay the interviewer's."""
    cues, _ = parse_captions(file.name, data.decode("utf-8"), "vtt")
    ends = [c.start for c in cues[1:]]
    segments = tuple(
        Segment(
            cue.start,
            max(end, cue.start),
            cue.text,
            interviewer=cue.speaker == INTERVIEWER,
        )
        for cue, end in zip(cues, [*ends, cues[-1].start if cues else 0.0], strict=True)
    )
    duration = segments[-1].end if segments else 0.0
    return Transcript(file.name, file.sha256, duration, segments=segments)
