"""Excel workbooks (.xlsx, .xlsm): every sheet, or the ones the user picks, as survey tables.

The workbook is opened read-only (rows are streamed, formulas give their cached values) after
:func:`persona.ingest.archives.check_archive` has looked at its size. Each sheet becomes a
:class:`persona.ingest.columns.Table`; with several sheets read, locators start with the
sheet's name (``Responses, row 4, Q5``).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from typing import Any

import openpyxl

from persona.core.errors import InputError
from persona.ingest.archives import check_archive
from persona.ingest.columns import Table, TableParsed, build_table, table_passages
from persona.ingest.roles import TableChoice

_KIND = "an Excel workbook"


def workbook_tables(name: str, data: bytes) -> list[Table]:
    """A table for every sheet with text; empty sheets are left out."""
    check_archive(name, data, _KIND)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # a foreign or damaged ZIP fails in zipfile, lxml or openpyxl
        raise InputError(
            f"{name} could not be opened as {_KIND} ({exc}). If it is an old .xls file, "
            "save it as .xlsx (File → Save As → Excel Workbook) and upload that."
        ) from exc
    tables: list[Table] = []
    try:
        for sheet in book.worksheets:
            rows = list(_rows(sheet))
            if not any(any(cells) for _, cells in rows):
                continue
            tables.append(build_table(name, rows, sheet=sheet.title))
    finally:
        book.close()
    if not tables:
        raise InputError(f"{name} has no text in any sheet. Check that it is the right file.")
    return tables


def read_xlsx(name: str, data: bytes, choice: TableChoice | None = None) -> TableParsed:
    """Passages, warnings and identifier values of the chosen sheets (every sheet by
    default) under the chosen roles."""
    tables = chosen_tables(name, workbook_tables(name, data), choice)
    passages, notes, identifiers = [], [], []
    for table in tables:
        prefix = f"{table.sheet}, " if len(tables) > 1 else ""
        found, warned = table_passages(table, choice, prefix)
        passages += found
        notes += [f"sheet {table.sheet}: {w}" if prefix else w for w in warned]
        identifiers += table.identifiers(choice)
    return passages, notes, list(dict.fromkeys(identifiers))


def chosen_tables(name: str, tables: list[Table], choice: TableChoice | None) -> list[Table]:
    """The tables of the sheets ``choice`` names (all when it names none)."""
    if choice is None or not choice.sheets:
        return tables
    by_sheet = {t.sheet: t for t in tables}
    missing = [s for s in choice.sheets if s not in by_sheet]
    if missing:
        raise InputError(
            f"{name} has no sheet named {', '.join(map(repr, missing))} with text in it; "
            f"its sheets are: {', '.join(by_sheet)}."
        )
    return [by_sheet[s] for s in choice.sheets]


def _rows(sheet: Any) -> Iterator[tuple[int, list[object]]]:
    """(row number, cell values) of a read-only sheet, numbered as Excel shows them."""
    for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), 1):
        yield number, list(values)
