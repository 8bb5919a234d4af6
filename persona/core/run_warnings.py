"""A run's warnings, grouped for people: one line per kind with a count, details kept apart.

A generation notes each thing it could not do as asked, once per occurrence and again on
each retry (``Trimmed over-long text: age was 412 characters; trimmed to 40``). Shown as
they come, they make a wall. :func:`group_warnings` folds them into kinds ("3 over-long ages
trimmed"), identical details counted once; the page shows the lines with the details in an
expander, the CLI prints the lines, and exports carry :func:`short_status`.

A run keeps its warnings as the lines of ``Run.message`` (:func:`join_warnings`,
:func:`split_warnings`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial

SHORT_LINE = 120
"""The longest line of a warning no kind describes, in a short status."""

_TRIMMED = re.compile(r"(\w+) was [\d,]+ characters; trimmed to \d+")
_SHORTENED = re.compile(r"(\w+) had \d+ items; kept the first \d+")
_OLD_JOIN = re.compile(
    r" (?=Trimmed over-long text:|Dropped \d+ citation|Left out \d+ persona|The model wrote "
    r"|Part \d+ of \d+ \(|A merge of \d+ findings)"
)
_FIELD_WORDS = {
    "text": ("statement", "statements"),
    "bio": ("bio", "bios"),
    "age": ("age", "ages"),
    "pain_points": ("pain point list", "pain point lists"),
    "evidence": ("quote list", "quote lists"),
}


def _word(field_name: str, count: int) -> str:
    one, many = _FIELD_WORDS.get(field_name, (field_name.replace("_", " "), ""))
    return one if count == 1 else (many or f"{one}s")


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


@dataclass
class WarningGroup:
    """One kind of warning: a line for people, how often it happened, and the details."""

    line: str
    count: int
    details: list[str] = field(default_factory=list)
    """Each distinct warning of this kind, in the order they came."""


@dataclass(frozen=True)
class _Kind:
    """Warnings a pattern recognises, and how a group of them reads."""

    key: str
    pattern: re.Pattern[str]
    line: Callable[[int], str]
    count: Callable[[re.Match[str]], int] = lambda _match: 1


_KINDS: tuple[_Kind, ...] = (
    _Kind(
        "dropped",
        re.compile(r"^Dropped (\d+) citation"),
        lambda n: (
            _plural(n, "citation", "citations")
            + " of passages that do not exist, or are not a participant's words, dropped"
        ),
        lambda match: int(match[1]),
    ),
    _Kind(
        "span",
        re.compile(r"the quote's span was not in the passage it cited"),
        lambda n: _plural(n, "quote", "quotes") + " widened to the whole passage cited",
    ),
    _Kind(
        "repeated",
        re.compile(r"^Left out (\d+) persona\(s\) that repeated another"),
        lambda n: _plural(n, "persona", "personas") + " left out for repeating another",
        lambda match: int(match[1]),
    ),
    _Kind(
        "unusable",
        re.compile(r" is marked unusable: "),
        lambda n: _plural(n, "persona", "personas") + " marked unusable",
    ),
    _Kind(
        "extra",
        re.compile(r"^The model wrote more personas than asked"),
        lambda n: _plural(n, "extra persona", "extra personas") + " left out",
    ),
    _Kind(
        "part",
        re.compile(r"^Part \d+ of \d+ .*could not be analysed"),
        lambda n: _plural(n, "part", "parts") + " of the study could not be analysed",
    ),
    _Kind(
        "merge",
        re.compile(r"^A merge of \d+ findings failed"),
        lambda n: _plural(n, "merge", "merges") + " of findings failed (the first findings kept)",
    ),
)


def group_warnings(warnings: Iterable[str]) -> list[WarningGroup]:
    """Warnings folded into one group per kind, in the order each kind first came.

    Over-long texts are grouped per field ("3 over-long ages trimmed"); a warning no kind
    describes is its own group, counted each time it repeats.
    """
    groups: dict[str, WarningGroup] = {}

    def add(key: str, line: Callable[[int], str], count: int, detail: str) -> None:
        group = groups.setdefault(key, WarningGroup(line="", count=0))
        group.count += count
        group.line = line(group.count)
        if detail not in group.details:
            group.details.append(detail)

    for warning in (" ".join(w.split()) for w in warnings):
        if not warning:
            continue
        limits = [(m[1], True, m[0]) for m in _TRIMMED.finditer(warning)]
        limits += [(m[1], False, m[0]) for m in _SHORTENED.finditer(warning)]
        for field_name, trimmed, detail in limits:
            key = f"{'trimmed' if trimmed else 'shortened'}:{field_name}"
            add(key, partial(_limit_line, field_name, trimmed), 1, detail)
        if limits:
            continue
        kind = next((k for k in _KINDS if k.pattern.search(warning)), None)
        if kind is None:
            add(f"other:{warning}", partial(_repeated_line, warning), 1, warning)
            continue
        match = kind.pattern.search(warning)
        assert match is not None
        add(kind.key, kind.line, kind.count(match), warning)
    return list(groups.values())


def _limit_line(field_name: str, trimmed: bool, count: int) -> str:
    if trimmed:
        return f"{count:,} over-long {_word(field_name, count)} trimmed"
    return f"{count:,} {_word(field_name, count)} too long, the first items kept"


def _repeated_line(warning: str, count: int) -> str:
    return warning + (f" (×{count})" if count > 1 else "")


def join_warnings(warnings: Sequence[str]) -> str:
    """A run's warnings as its message: one per line (see :func:`split_warnings`)."""
    return "\n".join(" ".join(w.split()) for w in warnings if w.strip())


def split_warnings(message: str) -> list[str]:
    """A run's message as its warnings.

    Older runs joined them with spaces on one line: that line is split before each warning's
    known beginning."""
    lines = [line for line in message.splitlines() if line.strip()]
    if len(lines) == 1:
        return [part for part in _OLD_JOIN.split(lines[0]) if part.strip()]
    return lines


def short_status(status: str, message: str) -> str:
    """What an export's Status line says: the status, then each kind of warning once.

    E.g. ``partial — 3 over-long ages trimmed; 1 persona marked unusable``. A line no kind
    describes is cut to :data:`SHORT_LINE` characters.
    """
    lines = [_cut(g.line) for g in group_warnings(split_warnings(message))]
    return status + (" — " + "; ".join(lines) if lines else "")


def _cut(line: str) -> str:
    if len(line) <= SHORT_LINE:
        return line
    return line[: SHORT_LINE - 1].rstrip(" ,;:") + "…"
