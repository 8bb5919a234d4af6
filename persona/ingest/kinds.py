"""The kinds of file Persona reads, and the checks made before a file's bytes are read:
its type (with advice for near misses such as ``.xls`` or ``.doc``) and its size."""

from __future__ import annotations

import os
from pathlib import Path

from persona.core.errors import InputError
from persona.core.settings import load_settings
from persona.transcribe import RECORDING_EXTENSIONS

FILE_KINDS: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".pdf": "pdf",
    ".docx": "docx",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".vtt": "vtt",
    ".srt": "srt",
    **dict.fromkeys(RECORDING_EXTENSIONS, "recording"),
}
"""File extension → document kind, for every type Persona reads."""


SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(FILE_KINDS)


_ADVICE = {
    ".xls": "old Excel workbooks (.xls) are not read; save it as .xlsx "
    "(File → Save As → Excel Workbook) and upload that",
    ".ods": "spreadsheets are not read directly; save the sheet as CSV and upload that",
    ".numbers": "Numbers files are not read directly; export the sheet as CSV and upload that",
    ".doc": "old Word documents (.doc) are not read; save it as .docx "
    "(File → Save As → Word Document) and upload that",
    ".rtf": "RTF is not read; save it as .docx or .txt and upload that",
    ".pages": "Pages files are not read directly; export it as Word (.docx) and upload that",
}

TABLE_DELIMITERS = {"csv": ",;\t|", "tsv": "\t,;|"}
"""Delimiters tried for each table kind, preferred first."""


def folder_files(folder: Path) -> list[Path]:
    """Supported files (recordings too) under ``folder``, in a stable order; hidden files
    and folders skipped."""
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(
            Path(root, f)
            for f in sorted(files)
            if not f.startswith((".", "~$")) and extension(f) in FILE_KINDS
        )
    return found


def check_kind(name: str) -> None:
    """InputError, saying what to do, when ``name`` is not a type Persona reads."""
    suffix = extension(name)
    if suffix in FILE_KINDS:
        return
    supported = ", ".join(SUPPORTED_EXTENSIONS)
    if suffix in _ADVICE:
        raise InputError(f"{name}: {_ADVICE[suffix]}.")
    if not suffix:
        raise InputError(
            f"{name} has no file extension, so its type is unknown. "
            f"Rename it with one of: {supported}."
        )
    raise InputError(f"{name}: {suffix} files are not supported. Supported types: {supported}.")


def check_size(name: str, size: int, limit: int) -> None:
    """InputError, saying what to do, when a file of ``size`` bytes is over ``limit``."""
    if size > limit:
        raise InputError(
            f"{name} is {_shown_size(size)}, over the {_shown_size(limit)} limit per file. "
            "Split it into smaller files, or raise the limit with PERSONA_MAX_FILE_MB."
        )


def file_limit(max_bytes: int | None) -> int:
    """The size limit per file: ``max_bytes``, else ``PERSONA_MAX_FILE_MB``."""
    return load_settings().max_file_bytes if max_bytes is None else max_bytes


def extension(name: str) -> str:
    """The file extension of ``name``, lower case with its dot (``.csv``)."""
    return os.path.splitext(name)[1].lower()


def _shown_size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / (1024 * 1024):.1f} MB"
