"""A quote in its context: the passage it came from and what surrounds it.

For a transcript that is the question asked (the nearest question or interviewer turn before
the quote) and a few turns before and after; for a survey, the question the respondent was
answering and their other answers in the same row. The quote itself is located inside its
passage so a page can highlight it.

Survey readers (:mod:`persona.ingest.columns`) name passages with the locator convention
defined here: an answer is ``row N, LABEL`` (``Sheet, row N, LABEL`` in a workbook with
several sheets), the respondent's context (demographics, closed questions) is ``row N``, and
the question of a column is ``LABEL``, both not citable.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz

from persona.core.documents import Passage

AROUND = 2
"""Passages shown before and after a transcript quote."""
HIGHLIGHT_SCORE = 80.0
"""Lowest fuzzy score (0..100) at which a paraphrased quote is still highlighted."""
_QUESTION_LOOKBACK = 8
_CELL = re.compile(r"^(?P<row>(?:.+, )?row \d+), (?P<label>.+)$")
_RANGE = "–"
_FOLD = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})

ContextKind = Literal["survey", "transcript"]


def cell_locator(row: str, label: str) -> str:
    """The locator of a survey answer: ``row 4, Q5`` (``row`` may name the sheet first)."""
    return f"{row}, {label}"


def split_cell_locator(locator: str) -> tuple[str, str] | None:
    """(``row N`` part, column label) of a survey answer's locator, else None."""
    match = _CELL.match(locator)
    return (match["row"], match["label"]) if match else None


@dataclass(frozen=True, slots=True)
class ContextLine:
    """One passage shown around a quote; ``spans`` mark the quote (focus passages only)."""

    passage: Passage
    label: str
    """What to show before the text: a transcript's locator (and speaker), a survey's question."""
    focus: bool = False
    spans: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class QuoteContext:
    """A quote's passage with what surrounds it, in reading order."""

    kind: ContextKind
    source: str
    locator: str
    question: str
    """The question asked (survey column question, or the last question before the quote)."""
    lines: tuple[ContextLine, ...]
    about: str = ""
    """Survey only: what is known about the respondent (their closed answers)."""


def quote_context(
    passages: Sequence[Passage],
    quote: str,
    source: str = "",
    locator: str = "",
    *,
    around: int = AROUND,
) -> QuoteContext | None:
    """``quote`` in its context among ``passages``, or None when it cannot be placed.

    The passage is found by ``source`` and ``locator`` (a range ``line 4–line 5`` covers
    both), else by the quote's words in ``source``, else anywhere.
    """
    focus = _focus(passages, quote, source, locator)
    if not focus:
        return None
    first = focus[0]
    cell = split_cell_locator(passages[first].locator)
    if cell is not None:
        return _survey(passages, focus, quote, *cell)
    return _transcript(passages, focus, quote, around)


def highlight_spans(text: str, quote: str) -> tuple[tuple[int, int], ...]:
    """Where ``quote`` is in ``text`` (case, curly quotes and spacing ignored; a close
    paraphrase is found fuzzily); empty when it is not there."""
    folded, positions = _folded(text)
    needle = _folded(quote)[0].strip()
    if not needle or not folded:
        return ()
    at = folded.find(needle)
    if at >= 0:
        return ((positions[at], positions[at + len(needle) - 1] + 1),)
    if len(needle) > len(folded):
        return ((0, len(text)),) if fuzz.ratio(needle, folded) >= HIGHLIGHT_SCORE else ()
    aligned = fuzz.partial_ratio_alignment(needle, folded)
    if aligned is None or aligned.score < HIGHLIGHT_SCORE or aligned.dest_end <= aligned.dest_start:
        return ()
    return ((positions[aligned.dest_start], positions[aligned.dest_end - 1] + 1),)


def short_excerpt(context: QuoteContext, limit: int = 200) -> list[tuple[str, str, bool]]:
    """(label, text, focus) lines for an export, each cut to about ``limit`` characters around
    the quote: the question asked, then a survey answer and what is known about the
    respondent, or a transcript's line before, the quoted passage and the line after."""
    lines: list[tuple[str, str, bool]] = []
    if context.question:
        lines.append(("Question", _cut(context.question, limit), False))
    focus = [i for i, line in enumerate(context.lines) if line.focus]
    if context.kind == "survey":
        for line in (context.lines[i] for i in focus):
            who = line.passage.participant
            text = (
                _around(line.passage.text, line.spans[0], limit)
                if line.spans
                else line.passage.text
            )
            lines.append((f"Answer ({who})" if who else "Answer", _cut(text, limit), True))
        if context.about:
            lines.append(("About the respondent", _cut(context.about, limit), False))
        return lines
    start, end = (max(focus[0] - 1, 0), min(focus[-1] + 2, len(context.lines))) if focus else (0, 0)
    for line in context.lines[start:end]:
        if line.passage.text == context.question:
            continue
        text = line.passage.text
        if line.focus and line.spans:
            text = _around(text, line.spans[0], limit)
        lines.append((line.label, _cut(text, limit), line.focus))
    return lines


# --- finding the passage -------------------------------------------------------------------


def _focus(passages: Sequence[Passage], quote: str, source: str, locator: str) -> list[int]:
    """Indexes of the passage(s) the quote came from (consecutive when a range)."""
    if source and locator:
        first, _, last = locator.partition(_RANGE)
        start = _index(passages, source, first.strip())
        if start is not None:
            end = _index(passages, source, last.strip()) if last else start
            if end is not None and end >= start:
                return list(range(start, end + 1))
            return [start]
    needle = _folded(quote)[0].strip()
    if not needle:
        return []
    scoped = [i for i, p in enumerate(passages) if not source or p.source == source]
    for pool in (scoped, range(len(passages))):
        for i in pool:
            if needle in _folded(passages[i].text)[0]:
                return [i]
    return []


def _index(passages: Sequence[Passage], source: str, locator: str) -> int | None:
    wanted = (source.casefold(), locator.casefold())
    return next(
        (
            i
            for i, p in enumerate(passages)
            if (p.source.casefold(), p.locator.casefold()) == wanted
        ),
        None,
    )


def _survey(
    passages: Sequence[Passage], focus: list[int], quote: str, row: str, label: str
) -> QuoteContext:
    source = passages[focus[0]].source
    mine = [p for p in passages if p.source == source]
    questions = {p.locator: p.text for p in mine if not p.citable}
    prefix = row.rpartition("row ")[0]
    about = next((p.text for p in mine if p.locator == row and not p.citable), "")
    lines = []
    for p in mine:
        cell = split_cell_locator(p.locator)
        if cell is None or cell[0] != row:
            continue
        is_focus = p == passages[focus[0]]
        spans = highlight_spans(p.text, quote) if is_focus else ()
        lines.append(ContextLine(p, questions.get(prefix + cell[1], cell[1]), is_focus, spans))
    question = questions.get(prefix + label, "")
    return QuoteContext(
        "survey", source, passages[focus[0]].locator, question, tuple(lines), about=about
    )


def _transcript(
    passages: Sequence[Passage], focus: list[int], quote: str, around: int
) -> QuoteContext:
    source = passages[focus[0]].source
    same = [i for i, p in enumerate(passages) if p.source == source]
    first, last = same.index(focus[0]), same.index(focus[-1])
    window = same[max(first - around, 0) : last + around + 1]
    question = ""
    for i in reversed(same[max(first - _QUESTION_LOOKBACK, 0) : first]):
        p = passages[i]
        if not p.citable or p.text.rstrip().endswith("?"):
            question = p.text
            break
    lines = []
    for i in window:
        p = passages[i]
        is_focus = i in focus
        spans = _focus_spans(p.text, quote, len(focus)) if is_focus else ()
        label = f"{p.locator} · {p.participant}" if p.participant else p.locator
        lines.append(ContextLine(p, label, is_focus, spans))
    locator = passages[focus[0]].locator
    if len(focus) > 1:
        locator += _RANGE + passages[focus[-1]].locator
    return QuoteContext("transcript", source, locator, question, tuple(lines))


def _focus_spans(text: str, quote: str, parts: int) -> tuple[tuple[int, int], ...]:
    """The quote inside one passage; a quote across several passages marks each whole."""
    spans = highlight_spans(text, quote)
    if spans or parts == 1:
        return spans
    return ((0, len(text)),)


# --- text helpers --------------------------------------------------------------------------


def _folded(text: str) -> tuple[str, list[int]]:
    """``text`` case-folded with quotes, dashes and runs of spaces unified, and for each
    character of the result the index of the character of ``text`` it came from."""
    out: list[str] = []
    positions: list[int] = []
    for index, char in enumerate(text):
        for c in unicodedata.normalize("NFKC", char).translate(_FOLD).casefold():
            if c.isspace():
                if not out or out[-1] == " ":
                    continue
                c = " "
            out.append(c)
            positions.append(index)
    return "".join(out), positions


def _around(text: str, span: tuple[int, int], limit: int) -> str:
    """``text`` cut to about ``limit`` characters with the span in the middle."""
    if len(text) <= limit:
        return text
    start, end = span
    room = max(limit - (end - start), 0) // 2
    left, right = max(start - room, 0), min(end + room, len(text))
    return ("…" if left else "") + text[left:right].strip() + ("…" if right < len(text) else "")


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit + 1 else text[:limit].rstrip() + "…"
