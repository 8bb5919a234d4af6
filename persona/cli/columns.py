"""`persona generate --columns show`: the columns of tables, with suggested roles and samples,
before choosing roles with ``--columns``."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from persona.api.reading import file_tables, folder_files, is_table
from persona.cli.exits import EXIT_OK
from persona.cli.tables import print_table
from persona.core.errors import InputError, PersonaError
from persona.types import ROLE_LABELS, ROLES


def show_columns(sources: Sequence[str]) -> int:
    """Every table in ``sources``, its columns, suggested roles and sample values."""
    shown = 0
    for path in _table_paths(sources):
        try:
            tables = file_tables(path.name, path.read_bytes())
        except (PersonaError, OSError) as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            continue
        for table in tables:
            shown += 1
            where = f"{path.name}" + (f", sheet {table.sheet!r}" if table.sheet else "")
            layout = f"{table.layout} export, " if table.layout else ""
            print(f"{where} ({layout}{len(table.rows)} responses)")
            rows = [("COLUMN", "ROLE", "WHY", "SAMPLE VALUES")] + [
                (c.key, c.suggested, c.reason, " | ".join(_one_line(v) for v in c.samples))
                for c in table.columns
            ]
            print_table(rows, widest=(40, 40, 40, 70), indent="  ")
            print()
    if not shown:
        raise InputError("No CSV, TSV or Excel file among the sources: no columns to show.")
    roles = "; ".join(f"{r} = {ROLE_LABELS[r]}" for r in ROLES)
    print(
        f'Choose roles with --columns "COLUMN=ROLE,..." (roles: {roles}); '
        "columns you leave out keep the role shown.",
        file=sys.stderr,
    )
    return EXIT_OK


def _table_paths(sources: Sequence[str]) -> list[Path]:
    """The tables among files and folders (folders searched as ``--from`` reads them)."""
    paths: list[Path] = []
    for source in map(Path, sources):
        found = folder_files(source) if source.is_dir() else [source]
        paths += [p for p in found if p.is_file() and is_table(p.name)]
    return paths


def _one_line(text: str) -> str:
    return " ".join(text.split())
