"""What was read, in the terminal: one line per file; and the files given with ``--from``
kept in the run's study."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from persona import api
from persona.types import Choices, Interviewers, Reading


def report_reading(reading: Reading, out: TextIO) -> None:
    """One line per file: read (passages, tokens, warnings) or skipped and why."""
    for report in reading.reports:
        if report.ok:
            print(
                f"  read  {report.name}: {report.rows} passages, ~{report.tokens:,} tokens",
                file=out,
            )
            for warning in report.warnings:
                print(f"        {warning}", file=out)
        else:
            print(f"  skip  {report.name}: {report.error}", file=out)


def keep_in_study(
    study: str,
    sources: Sequence[str],
    choices: Choices | None,
    interviewers: Interviewers | None,
) -> None:
    """Add the files given with ``--from`` to the run's study, with the choices they are
    read with (so chat, resume and later runs need no upload); what cannot be kept is said,
    and the run goes on from the files as read."""
    added = api.add_to_study(study, sources, choices=choices, interviewers=interviewers)
    kept = [f"{len(added.added)} added", f"{len(added.unchanged)} already there"]
    print(f"Study {added.study!r}: {', '.join(kept)}.", file=sys.stderr)
    for report in added.failed:
        if report.name in added.conflicts:
            print(f"  Not kept in the study: {report.error}", file=sys.stderr)
