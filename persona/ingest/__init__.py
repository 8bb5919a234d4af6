"""Ingest: research files (CSV, JSON, text, PDF, Word, meeting transcripts...) into passages.

One module per format family (``tables``, ``structured``, ``text``, ``office``,
``transcripts``), the text decoding they share (``encoding``), and ``reading``, which
dispatches by file type and reports on every file.
"""

from persona.ingest.encoding import decode_text
from persona.ingest.reading import (
    FILE_KINDS,
    SUPPORTED_EXTENSIONS,
    FileReport,
    Interviewers,
    Reading,
    read_file,
    read_files,
    read_paths,
)

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
