"""Ingest: research files (CSV, JSON, text, PDF, Word, meeting transcripts...) into passages.

One module per format family (``tables``, ``structured``, ``text``, ``office``,
``transcripts``), the text decoding they share (``encoding``), the kinds of file read and the
checks before reading (``kinds``), and ``reading``, which dispatches by file type and reports
on every file (``report``).
"""

from persona.ingest.encoding import decode_text
from persona.ingest.interviewers import Interviewers
from persona.ingest.kinds import FILE_KINDS, SUPPORTED_EXTENSIONS
from persona.ingest.reading import read_file, read_files, read_paths
from persona.ingest.report import FileReport, Reading

__all__ = [
    "FILE_KINDS",
    "SUPPORTED_EXTENSIONS",
    "FileReport",
    "Interviewers",
    "Reading",
    "decode_text",
    "read_file",
    "read_files",
    "read_paths",
]
