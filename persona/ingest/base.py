"""Shared by the format readers: the parsed result type and how notes list rows."""

from __future__ import annotations

from persona.core.documents import Passage

Parsed = tuple[list[Passage], list[str]]


SHOWN = 5
"""How many row or line numbers a warning lists before saying "and N more"."""


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def numbered(noun: str, numbers: list[int]) -> str:
    """``row 4`` or ``rows 4, 9, 12`` (the first few, then how many more)."""
    label = noun if len(numbers) == 1 else f"{noun}s"
    return f"{label} {', '.join(map(str, numbers[:SHOWN]))}{and_more(len(numbers))}"


def and_more(total: int) -> str:
    return f" and {total - SHOWN} more" if total > SHOWN else ""
