"""What can be chosen in a file before it is read into passages: the tables of a CSV, TSV or
workbook (for the column preview), and the speakers of a meeting transcript (to choose its
interviewer).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from persona.ingest.columns import Table
from persona.ingest.encoding import decode_text
from persona.ingest.kinds import FILE_KINDS, TABLE_DELIMITERS
from persona.ingest.spreadsheets import workbook_tables
from persona.ingest.tables import csv_table
from persona.ingest.transcripts import (
    TRANSCRIPT_KINDS,
    Interviewer,
    detect_interviewer,
    find_transcript,
)


def is_table(name: str) -> bool:
    """Whether ``name`` is a kind of file whose columns can be chosen."""
    return FILE_KINDS.get(os.path.splitext(name)[1].lower(), "") in (*TABLE_DELIMITERS, "xlsx")


def file_tables(name: str, data: bytes) -> list[Table]:
    """The tables in ``name`` with their columns and suggested roles (InputError if unreadable)."""
    kind = FILE_KINDS.get(os.path.splitext(name)[1].lower(), "")
    if kind == "xlsx":
        return workbook_tables(name, data)
    if kind in TABLE_DELIMITERS:
        text, _ = decode_text(name, data)
        return [csv_table(name, text, TABLE_DELIMITERS[kind])]
    return []


@dataclass(frozen=True)
class Speakers:
    """A transcript's speakers, in order of first turn, and the interviewer detected."""

    names: list[str]
    detected: Interviewer


def file_speakers(name: str, data: bytes) -> Speakers | None:
    """The speakers of ``name`` when it is a meeting transcript with any (InputError if it
    cannot be read), else None."""
    kind = FILE_KINDS.get(os.path.splitext(name)[1].lower(), "")
    if kind not in (*TRANSCRIPT_KINDS, "text") or not data.strip():
        return None
    text, _ = decode_text(name, data)
    transcript = find_transcript(name, text, kind)
    if transcript is None or not transcript.speakers:
        return None
    return Speakers(transcript.speakers, detect_interviewer(transcript.turns))
