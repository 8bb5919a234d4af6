"""Exports: a run as JSON, Markdown, CSV, PDF or Word, and as a table for a notebook.

Every format shows the same verdicts (computed once in :mod:`persona.core.verdicts`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from persona.core.documents import Passage
from persona.core.errors import InputError, PersonaError
from persona.core.private import check_writable_dir, save_new
from persona.core.records import Run
from persona.history.export import CSV_COLUMNS, changes_markdown, quote_table
from persona.history.formats import ExportFormat, export_run, file_name, write_new

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ExportedFile",
    "changes_markdown",
    "check_writable_dir",
    "export",
    "export_file",
    "file_name",
    "save_export",
    "save_new",
    "to_dataframe",
    "write_new",
]


@dataclass(frozen=True)
class ExportedFile:
    """A run in one export format: its file name, bytes and MIME type (for a download)."""

    name: str
    data: bytes
    mime: str


def export_file(
    run: Run, format: ExportFormat = "md", *, passages: Sequence[Passage] | None = None
) -> ExportedFile:
    """The run as a JSON, Markdown, CSV, PDF or Word (``docx``) file named after its study
    and time. ``passages`` (the research text) add each quote's context to Markdown."""
    return ExportedFile(*export_run(run, format, passages))


def save_export(
    run: Run,
    format: ExportFormat,
    target: str | Path,
    *,
    passages: Sequence[Passage] | None = None,
) -> Path:
    """Write the run into the folder ``target`` (or to the file path ``target``) and return
    the path written. An existing file is never replaced: ``-2``, ``-3``... is added."""
    exported = export_file(run, format, passages=passages)
    return write_new(Path(target), exported.name, exported.data)


def export(
    run: Run,
    format: ExportFormat = "md",
    path: str | Path | None = None,
    *,
    passages: Sequence[Passage] | None = None,
) -> bytes:
    """The run as JSON, Markdown, CSV, PDF or Word (``docx``) bytes; also written to ``path``
    when given.

    An existing file is never overwritten: that raises :class:`InputError`.
    """
    data = export_file(run, format, passages=passages).data
    if path is not None:
        target = Path(path)
        try:
            with target.open("xb") as file:
                file.write(data)
        except FileExistsError as exc:
            raise InputError(f"{target} already exists; choose another file name.") from exc
        except OSError as exc:
            raise InputError(f"Could not write {target} ({exc.strerror or exc}).") from exc
    return data


def to_dataframe(run: Run) -> pd.DataFrame:
    """One row per quote (or per claim without one), the columns of the CSV export: persona,
    its status (usable or unusable with reasons), section, claim, quote, source, locator,
    passage ID, the quote's verdict, support notes, the participants the persona represents
    and its share of the study. Needs pandas (``pip install pandas``)."""
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise PersonaError("to_dataframe needs pandas: pip install pandas") from exc
    return pd.DataFrame(quote_table(run), columns=list(CSV_COLUMNS))
