"""CSV and TSV: rows and cells as a spreadsheet shows them, read into a survey table.

The table's columns get roles (:mod:`persona.ingest.columns`); rows keep the number a
spreadsheet shows (the header is row 1), a quoted cell spanning several lines stays in its row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from persona.core.errors import InputError
from persona.ingest.base import Parsed, numbered, plural
from persona.ingest.columns import Table, TableChoice, build_table, table_passages

_DELIMITERS = ",;\t|"


_ONE_COLUMN = "\0"
"""A delimiter no real text contains, to read a file with a single column."""


_OTHER_BREAKS = "\v\f\x1c\x1d\x1e\x85\u2028\u2029"
"""Characters ``str.splitlines`` splits at besides CR and LF."""


_SNIFF_CHARS = 64 * 1024


class _QuotingError(Exception):
    """A strict read hit broken quoting; the message is the warning for the lenient reread."""


def read_csv(
    name: str, text: str, candidates: str = _DELIMITERS, choice: TableChoice | None = None
) -> Parsed:
    """Passages of a CSV/TSV file under the column roles chosen (else suggested)."""
    return table_passages(csv_table(name, text, candidates), choice)


def csv_table(name: str, text: str, candidates: str = _DELIMITERS) -> Table:
    """The table in a CSV/TSV file: its columns (with suggested roles) and rows."""
    delimiter = _sniff_delimiter(text, candidates)
    try:
        grid, warnings = _csv_grid(name, text, delimiter, strict=True)
    except _QuotingError as problem:
        grid, warnings = _csv_grid(name, text, delimiter, strict=False)
        warnings = [str(problem), *warnings]
    table = build_table(name, grid)
    table.warnings = warnings + table.warnings
    return table


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
            "into one cell; fix the quote and upload the file again"
        )
    return _QuotingError(
        f'row {row} has a stray quote (") and was read as well as possible ({exc})'
    )


def _sniff_delimiter(text: str, candidates: str) -> str:
    """The candidate that splits most rows into as many cells as the header has.

    A delimiter counts only if the header splits into two or more cells and at least half
    the rows match it; ties go to the earlier candidate. None counts: one column.
    """
    sample = text[:_SNIFF_CHARS]
    best, best_score = _ONE_COLUMN, 0
    for delimiter in candidates:
        rows = [r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter) if r]
        if len(sample) < len(text):
            rows = rows[:-1]
        if not rows or len(rows[0]) < 2:
            continue
        score = sum(len(r) == len(rows[0]) for r in rows)
        if score * 2 >= len(rows) + 1 and score > best_score:
            best, best_score = delimiter, score
    return best


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
