"""Plain text and Markdown: one passage per non-empty line."""

from __future__ import annotations

from persona.core.documents import Passage
from persona.ingest.base import Parsed
from persona.ingest.structured import NEWLINE


def read_lines(name: str, text: str) -> Parsed:
    passages = [
        Passage(name, f"line {number}", line.strip())
        for number, line in enumerate(NEWLINE.split(text), 1)
        if line and not line.isspace()
    ]
    return passages, []
