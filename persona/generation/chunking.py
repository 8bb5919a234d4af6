"""Research passages packed, in order, into chunks of a token budget; a passage too long for
one chunk is split at word boundaries into parts, each with its own ID (``P17.2``), never
trimmed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from persona.core.documents import Passage
from persona.core.tokens import estimate_tokens, scaled
from persona.generation.prompts import (
    FILE_HEADER,
    columns_line,
    columns_of,
    format_line,
    question_line,
)

Chunks = tuple[tuple[Passage, ...], ...]


def passage_tokens(passage: Passage, factor: float = 1.0) -> int:
    """Tokens ``passage`` takes in a prompt, its ID, question mark (``B:``) and line break
    included."""
    label = "A" if passage.question else ""
    return scaled(estimate_tokens(format_line(passage, label)), factor) + 1


def question_tokens(question: str, factor: float = 1.0) -> int:
    """Tokens the line of a survey question takes above its answers in a chunk."""
    return scaled(estimate_tokens(question_line(question, "A")), factor) + 1


def chunk_passages(
    passages: Sequence[Passage], capacity: int, factor: float = 1.0
) -> tuple[Chunks, int]:
    """``passages`` packed in order into chunks of at most ``capacity`` tokens, and how many
    passages were split into parts to fit."""
    chunks: list[tuple[Passage, ...]] = []
    current: list[Passage] = []
    asked: set[str] = set()  # survey questions shown in the current chunk, once each
    columns: tuple[str, ...] = ()  # the context columns last named in the current file's block
    used = 0
    split = 0
    for passage in passages:
        pieces = [passage]
        if passage_tokens(passage, factor) > capacity:
            pieces = _split(passage, capacity, factor)
            split += 1
        for piece in pieces:
            own = passage_tokens(piece, factor)
            if current and current[-1].source != piece.source:
                columns = ()
            piece_cost = own + _framing(piece, current, asked, columns, factor)
            if current and used + piece_cost > capacity:
                chunks.append(tuple(current))
                current, used, asked, columns = [], 0, set(), ()
                piece_cost = own + _framing(piece, current, asked, columns, factor)
            current.append(piece)
            used += piece_cost
            if piece.citable and piece.question:
                asked.add(piece.question)
            columns = columns_of(piece) or columns
    if current:
        chunks.append(tuple(current))
    return tuple(chunks), split


def _framing(
    passage: Passage,
    chunk: Sequence[Passage],
    asked: set[str],
    columns: tuple[str, ...],
    factor: float,
) -> int:
    """What ``passage`` adds to ``chunk`` besides its own line: its file's header when it starts
    a file's block, its question's line when it is the first answer to it, the line naming its
    context columns when they are not the ``columns`` last named in its file's block."""
    cost = 0
    if columns_of(passage) and columns_of(passage) != columns:
        cost += scaled(estimate_tokens(columns_line(columns_of(passage))), factor) + 1
    if not chunk or chunk[-1].source != passage.source:
        cost += scaled(estimate_tokens(FILE_HEADER + passage.source), factor) + 2
    if passage.citable and passage.question and passage.question not in asked:
        cost += question_tokens(passage.question, factor)
    return cost


def _split(passage: Passage, capacity: int, factor: float) -> list[Passage]:
    """Cut an over-long passage at word boundaries into parts that each fit a chunk.

    Each part keeps the passage's speaker and citability, and gets its own ID (``P17.2``); a
    survey row's context too long for a chunk is shown in parts of its text.
    """
    words = passage.text.split(" ")
    parts: list[list[str]] = [[]]
    used = 0
    budget = max(50, capacity - 12)
    for word in words:
        cost = scaled(estimate_tokens(word + " "), factor)
        if parts[-1] and used + cost > budget:
            parts.append([])
            used = 0
        parts[-1].append(word)
        used += cost
    total = len(parts)
    return [
        replace(
            passage,
            locator=f"{passage.locator} (part {i} of {total})",
            text=" ".join(words),
            id=f"{passage.id}.{i}" if passage.id else "",
            cells=(),  # a part shows its own words, never the whole row's values again
        )
        for i, words in enumerate(parts, start=1)
    ]
