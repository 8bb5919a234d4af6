"""Ingest: research files (CSV, JSON, text, PDF, Word...) read into passages.

One module per format family (``tables``, ``structured``, ``text``, ``office``), the text
decoding they share (``encoding``), and ``reading``, which dispatches by file type and
reports on every file.
"""

from persona.ingest.encoding import decode_text
from persona.ingest.reading import (
    FILE_KINDS,
    SUPPORTED_EXTENSIONS,
    FileReport,
    Reading,
    read_file,
    read_files,
    read_paths,
)

__all__ = [
    "FILE_KINDS",
    "SUPPORTED_EXTENSIONS",
    "FileReport",
    "Reading",
    "decode_text",
    "read_file",
    "read_files",
    "read_paths",
]
