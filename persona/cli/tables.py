"""What commands print on stdout for eyes and scripts: aligned tables, and JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any


def print_table(
    rows: Sequence[Sequence[str]], *, widest: Sequence[int] = (), indent: str = ""
) -> None:
    """``rows`` (the header first) in aligned columns two spaces apart. Column ``i`` is at
    most ``widest[i]`` characters (longer cells end in ``…``); columns past ``widest`` are
    as wide as their longest cell."""
    columns = max((len(row) for row in rows), default=0)
    widths = [max(len(row[i]) for row in rows if i < len(row)) for i in range(columns)]
    for i, cap in enumerate(widest[:columns]):
        widths[i] = min(widths[i], cap)
    for row in rows:
        cells = [_fit(cell, width) for cell, width in zip(row, widths, strict=False)]
        print(indent + "  ".join(cells).rstrip())


def _fit(text: str, width: int) -> str:
    return (text if len(text) <= width else text[: width - 1] + "…").ljust(width)


def print_json(data: Any) -> None:
    """``data`` as indented JSON (dates and paths as text)."""
    print(json.dumps(data, indent=2, default=str))
