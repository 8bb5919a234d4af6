"""Progress events drawn in a terminal with ``rich``: a live bar on a TTY, plain lines otherwise."""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Iterator, Sequence
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.progress import (
    Progress as Bar,
)

from persona.api.runs import group_warnings
from persona.api.verdicts import persona_status, run_summary
from persona.types import Persona, Progress


def persona_line(persona: Persona) -> str:
    """``Persona ready: Ana Ruiz, night nurse · usable · 8 of 9 quotes in your data`` (what a
    model typed on one line, without control characters; the verdicts as everywhere)."""
    who = ", ".join(_plain(t) for t in (persona.name, persona.role) if t.strip())
    status, quotes = persona_status(persona).text, run_summary([persona]).quotes_text
    return f"Persona ready: {who} · {_plain(status)} · {quotes}"


def _plain(text: str) -> str:
    kept = "".join(c for c in text if not unicodedata.category(c).startswith("C"))
    return " ".join(kept.split())


def describe(event: Progress) -> str:
    """One plain line: percent, amount, rate and time left where known, then the message."""
    return "  ".join([*event.details(), event.message])


class ProgressLine:
    """Writes progress to ``stream`` (stderr by default): a rich bar on a terminal that
    never goes back or past 100 %, one line per step (and per 10 %) in logs."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._last: tuple[str, int] = ("", -1)
        self._bar: Bar | None = None
        self._task: TaskID | None = None
        self._bytes = False
        self._done = 0.0

    def show(self, event: Progress) -> None:
        if event.text:
            return
        if not self.tty:
            key = (event.message, (event.percent or 0) // 10)
            if key != self._last:
                self.stream.write(describe(event) + "\n")
                self.stream.flush()
            self._last = key
            return
        if self._bar is None:
            self._start(bytes_=event.unit == "bytes" and bool(event.total))
        assert self._bar is not None and self._task is not None
        update: dict[str, object] = {"description": event.message[:80]}
        if self._bytes and event.total:
            update.update(total=event.total, completed=min(event.completed or 0, event.total))
        elif event.fraction is not None:
            self._done = max(self._done, min(event.fraction, 1.0) * 100)
            update["completed"] = self._done
        self._bar.update(self._task, **update)  # type: ignore[arg-type]

    def note(self, line: str) -> None:
        """A line above the bar (or in the log), e.g. a persona as it is ready."""
        if self._bar is not None:
            self._bar.console.print(line, markup=False, highlight=False)
        else:
            self.stream.write(line + "\n")
            self.stream.flush()

    def _start(self, *, bytes_: bool) -> None:
        self._bytes = bytes_
        columns = [
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            *([DownloadColumn(), TransferSpeedColumn()] if bytes_ else []),
            TimeRemainingColumn(),
        ]
        self._bar = Bar(*columns, console=Console(file=self.stream), transient=False)
        self._bar.start()
        self._task = self._bar.add_task("", total=100.0)

    def end(self) -> None:
        if self._bar is not None:
            self._bar.stop()
        self._bar = self._task = None
        self._done = 0.0


def drive(events: Iterator[Progress]) -> None:
    """Show ``events``; on Ctrl-C (or any error) the events are closed, so a run saves
    what it made and records how it ended (a transcription stops) before the exception
    goes on."""
    line = ProgressLine()
    try:
        for event in events:
            line.show(event)
            if event.persona is not None:
                line.note(persona_line(event.persona))
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()
        line.end()


def print_warnings(warnings: Sequence[str], stream: TextIO | None = None) -> None:
    """One line per kind of warning with its count; the details are with the run in History."""
    out = stream or sys.stderr
    groups = group_warnings(warnings)
    for group in groups:
        print(f"Warning: {group.line}", file=out)
    if any(len(g.details) > 1 or g.line not in g.details for g in groups):
        print("The details of each warning are with the run in History.", file=out)
