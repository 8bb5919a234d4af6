"""Reading research files into passages: paths, uploads, the sample study, previews.

Every file gets a report (read, or why not); tables are read with the column roles chosen
for them and transcripts with their interviewer.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from persona.core.errors import InputError
from persona.core.paths import typed_path
from persona.ingest import Interviewers, Reading, read_files, read_paths
from persona.ingest.kinds import folder_files
from persona.ingest.preview import file_speakers, file_tables, is_table
from persona.ingest.roles import Choices, choices_from_options, choices_to_options, parse_roles
from persona.ingest.sample import sample_files

__all__ = [
    "choices_from_options",
    "choices_to_options",
    "file_speakers",
    "file_tables",
    "folder_files",
    "is_table",
    "parse_roles",
    "read",
    "read_sample",
    "read_uploads",
    "sample_files",
    "typed_path",
]


def limit_bytes(max_mb: float | None) -> int | None:
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
        list(paths), max_bytes=limit_bytes(max_mb), choices=choices, interviewers=interviewers
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
    return read_files(
        files, max_bytes=limit_bytes(max_mb), choices=choices, interviewers=interviewers
    )
