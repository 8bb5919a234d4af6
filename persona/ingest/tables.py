"""CSV and TSV: rows and cells as a spreadsheet shows them, read into a survey table.

The table's columns get roles (:mod:`persona.ingest.columns`); rows keep the number a
spreadsheet shows (the header is row 1), a quoted cell spanning several lines stays in its row.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterable

from persona.core.errors import InputError
from persona.ingest.base import numbered, plural
from persona.ingest.columns import Table, TableParsed, build_table, table_passages
from persona.ingest.roles import TableChoice

_DELIMITERS = ",;\t|"


_ONE_COLUMN = "\0"
"""A delimiter no real text contains, to read a file with a single column."""


_OTHER_BREAKS = "\v\f\x1c\x1d\x1e\x85\u2028\u2029"
"""Characters ``str.splitlines`` splits at besides CR and LF."""


_SNIFF_CHARS = 64 * 1024

_DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars"}


class _QuotingError(Exception):
    """A strict read hit broken quoting; the message is the warning for the lenient reread."""

    def __init__(self, message: str, row: int, unclosed: bool) -> None:
        super().__init__(message)
        self.row = row
        self.unclosed = unclosed


_SWALLOWED_CHARS = 128 * 1024
"""An unclosed quote that swallowed more than this is an error, not a warning: the file's
rows would be read as one answer."""


_FIELD_LIMIT_LOCK = threading.Lock()


def read_csv(
    name: str, text: str, candidates: str = _DELIMITERS, choice: TableChoice | None = None
) -> TableParsed:
    """Passages, warnings and identifier values of a CSV/TSV file under the column roles
    chosen (else suggested)."""
    table = csv_table(name, text, candidates)
    return (*table_passages(table, choice), table.identifiers(choice))


def csv_table(name: str, text: str, candidates: str = _DELIMITERS) -> Table:
    """The table in a CSV/TSV file: its columns (with suggested roles) and rows."""
    _allow_cells_up_to(len(text))
    delimiter, ragged = _sniff_delimiter(text, candidates)
    notes = [ragged] if ragged else []
    try:
        grid, warnings = _csv_grid(name, text, delimiter, strict=True)
    except _QuotingError as problem:
        grid, warnings = _csv_grid(name, text, delimiter, strict=False)
        if problem.unclosed and grid and max(map(len, grid[-1][1])) > _SWALLOWED_CHARS:
            raise InputError(
                f'{name}: row {problem.row} could not be read: it opens a quote (") that never '
                "closes, so the rest of the file would be one answer. Fix the quote and upload "
                "the file again."
            ) from problem
        notes.append(str(problem))
    table = build_table(name, grid)
    table.warnings = notes + warnings + table.warnings
    return table


def _allow_cells_up_to(size: int) -> None:
    """Raise the csv module's cell limit (128 KiB by default) to ``size`` characters.

    A cell can be no longer than its file, and files are size-checked before they are read,
    so the whole file may be one cell. The limit is process-wide: it only ever goes up.
    """
    with _FIELD_LIMIT_LOCK:
        if csv.field_size_limit() < size:
            csv.field_size_limit(size)


def _csv_grid(
    name: str, text: str, delimiter: str, strict: bool
) -> tuple[list[tuple[int, list[str]]], list[str]]:
    """(spreadsheet row number, cells) of every row with text, and notes on the others."""
    rows = enumerate(csv.reader(_physical_lines(text), delimiter=delimiter, strict=strict), 1)
    grid: list[tuple[int, list[str]]] = []
    empty: list[int] = []
    wide: list[int] = []
    number = 0
    try:
        for number, cells in rows:
            if not _has_text(cells):
                if grid:
                    empty.append(number)
                continue
            if grid and len(cells) > len(grid[0][1]):
                wide.append(number)
            grid.append((number, cells))
    except csv.Error as exc:
        raise _quoting_error(name, number + 1, exc, strict) from exc
    warnings = []
    if empty:
        warnings.append(f"{plural(len(empty), 'empty row')} skipped ({numbered('row', empty)})")
    if wide:
        warnings.append(
            f"{plural(len(wide), 'row')} {'has' if len(wide) == 1 else 'have'} more cells than "
            f"the header ({numbered('row', wide)}); the extra cells were kept as extra columns"
        )
    return grid, warnings


def _quoting_error(name: str, row: int, exc: csv.Error, strict: bool) -> Exception:
    """A strict read's error becomes a warning for a lenient reread; a lenient one, an error."""
    if not strict:
        return InputError(
            f'{name}: row {row} could not be read ({exc}). A quote (") that opens and never '
            "closes usually causes this; fix it and upload the file again."
        )
    if "end of data" in str(exc):
        return _QuotingError(
            f'row {row} opens a quote (") that never closes, so the rest of the file was read '
            "into one cell; fix the quote and upload the file again",
            row,
            unclosed=True,
        )
    return _QuotingError(
        f'row {row} has a stray quote (") and was read as well as possible ({exc})',
        row,
        unclosed=False,
    )


def _sniff_delimiter(text: str, candidates: str) -> tuple[str, str]:
    """The delimiter, and a warning when rows do not agree on their number of cells.

    The candidate that splits most rows into as many cells as the header has wins, if at
    least half the rows match; ties go to the earlier candidate. When none does (a ragged
    export: trailing empty cells left out, rows of different lengths), the candidate that
    splits the header and most rows into two or more cells is used, with a warning. None
    splits: one column.
    """
    sample = text[:_SNIFF_CHARS]
    best, best_score = _ONE_COLUMN, 0
    ragged, ragged_score = _ONE_COLUMN, 0
    for delimiter in candidates:
        rows = [r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter) if r]
        if len(sample) < len(text):
            rows = rows[:-1]
        if not rows or len(rows[0]) < 2:
            continue
        score = sum(len(r) == len(rows[0]) for r in rows)
        if score * 2 >= len(rows) + 1 and score > best_score:
            best, best_score = delimiter, score
        split = sum(len(r) >= 2 for r in rows)
        if split * 2 >= len(rows) + 1 and split > ragged_score:
            ragged, ragged_score = delimiter, split
    if best != _ONE_COLUMN or ragged == _ONE_COLUMN:
        return best, ""
    return ragged, (
        f"rows have different numbers of cells, so the columns were split at "
        f"{_DELIMITER_NAMES[ragged]}; check that answers sit under the right questions"
    )


def _physical_lines(text: str) -> Iterable[str]:
    """Lines with their endings, split only at CR and LF as CSV requires.

    ``str.splitlines`` is faster but also splits at form feeds, U+2028 and a few more, so it
    is used only when the text has none of those.
    """
    if any(c in text for c in _OTHER_BREAKS):
        return io.StringIO(text, newline="")
    return text.splitlines(keepends=True)


def _has_text(cells: list[str]) -> bool:
    return any(c.strip() for c in cells)
