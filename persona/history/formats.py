"""Every export format of a run, its file name, and writing it without overwriting anything.

JSON, Markdown and CSV come from :mod:`persona.history.export`, PDF and Word from
:mod:`persona.history.export_pdf` and :mod:`persona.history.export_docx`. The Markdown
export shows each quote's context when the caller has the research text at hand.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, get_args

from persona.core.documents import Passage
from persona.core.errors import InputError, PersonaError
from persona.core.private import save_new
from persona.core.records import Run
from persona.history.export import to_csv, to_json, to_markdown
from persona.history.export_docx import to_docx
from persona.history.export_pdf import to_pdf

ExportFormat = Literal["json", "md", "csv", "pdf", "docx"]
FORMATS: tuple[ExportFormat, ...] = get_args(ExportFormat)
LABELS: dict[ExportFormat, str] = {
    "json": "JSON",
    "md": "Markdown",
    "csv": "CSV",
    "pdf": "PDF",
    "docx": "Word",
}
MIME_TYPES: dict[ExportFormat, str] = {
    "json": "application/json",
    "md": "text/markdown",
    "csv": "text/csv",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
_SLUG = re.compile(r"[^a-z0-9]+")


def export_run(
    run: Run, fmt: str, passages: Sequence[Passage] | None = None
) -> tuple[str, bytes, str]:
    """(file name, bytes, MIME type) of ``run`` in ``fmt``.

    ``passages`` (the research text: this session's files, or the copy History kept) add
    context to the Markdown export's quotes.
    """
    if fmt not in FORMATS:
        raise InputError(f"Unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}.")
    if fmt == "json":
        data = to_json(run).encode("utf-8")
    elif fmt == "md":
        data = to_markdown(run, passages).encode("utf-8")
    elif fmt == "csv":
        data = to_csv(run).encode("utf-8-sig")
    elif fmt == "pdf":
        data = to_pdf(run)
    else:
        data = to_docx(run)
    return file_name(run, fmt), data, MIME_TYPES[fmt]


def file_name(run: Run, fmt: str) -> str:
    """E.g. ``grocery-study-personas-2026-11-24-1530.pdf`` (the study's name, ASCII)."""
    folded = unicodedata.normalize("NFKD", run.study).encode("ascii", "ignore").decode()
    slug = _SLUG.sub("-", folded.lower()).strip("-")[:60].strip("-")
    stamp = f"{run.created_at.astimezone():%Y-%m-%d-%H%M}"
    return f"{slug + '-' if slug else ''}personas-{stamp}.{fmt}"


def write_new(target: Path, name: str, data: bytes) -> Path:
    """Write ``data`` to a new file and return its path; an existing file is never replaced.

    ``target`` is a folder (``name`` is written in it, created if needed) or a file path.
    When the file exists, ``-2``, ``-3``... is added before the extension. The file is
    readable by the user only, like everything Persona writes.
    """
    path = target / name if target.is_dir() or not target.suffix else target
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return save_new(path.parent, path.name, data)  # owner-only, claimed atomically
    except OSError as exc:
        raise PersonaError(
            f"Could not write the export to {path.parent} ({exc.strerror or exc}). "
            "Choose another folder with --out."
        ) from exc
