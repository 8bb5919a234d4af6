"""Progress events drawn in a terminal: one redrawn line on a TTY, plain lines otherwise."""

from __future__ import annotations

import sys
from typing import TextIO

from persona.core.progress import Progress
from persona.engines.hardware import format_bytes

BAR_WIDTH = 28


def format_duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}:{seconds % 60:02d}"


def describe(event: Progress) -> str:
    """One line: bar, percent, amount, rate and ETA where known, then the message."""
    parts = []
    if event.fraction is not None:
        filled = int(event.fraction * BAR_WIDTH)
        parts.append(f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {event.percent:3d}%")
    if event.unit == "bytes" and event.total:
        parts.append(f"{format_bytes(event.completed or 0)} / {format_bytes(event.total)}")
        if event.rate:
            parts.append(f"{format_bytes(event.rate)}/s")
    if event.eta is not None:
        parts.append(f"ETA {format_duration(event.eta)}")
    parts.append(event.message)
    return "  ".join(parts)


class ProgressLine:
    """Writes progress to ``stream`` (stderr by default) without flooding logs."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._last: tuple[str, int] = ("", -1)
        self._width = 0

    def show(self, event: Progress) -> None:
        if event.text:
            return
        line = describe(event)
        if self.tty:
            self.stream.write("\r" + line.ljust(self._width))
            self._width = max(self._width, len(line))
        key = (event.message, (event.percent or 0) // 10)
        if not self.tty and key != self._last:
            self.stream.write(line + "\n")
        self._last = key
        self.stream.flush()

    def end(self) -> None:
        if self.tty and self._width:
            self.stream.write("\n")
            self.stream.flush()
        self._width = 0
