"""The tables in a file, before it is read into passages: for the column preview.

CSV and TSV files hold one table, workbooks one per sheet with text; other kinds none.
"""

from __future__ import annotations

import os

from persona.ingest.columns import Table
from persona.ingest.encoding import decode_text
from persona.ingest.reading import FILE_KINDS, TABLE_DELIMITERS
from persona.ingest.spreadsheets import workbook_tables
from persona.ingest.tables import csv_table


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
