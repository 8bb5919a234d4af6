"""Verdicts, coverage and distinctness of a run, printed in the terminal."""

from __future__ import annotations

import sys
from typing import TextIO

from persona.api.runs import measures
from persona.api.verdicts import persona_status, run_summary
from persona.types import Run


def print_coverage(run: Run, stream: TextIO | None = None) -> None:
    """Who each persona represents, who is left out, and the pairs that are too alike."""
    out = stream or sys.stderr
    cover, distinct = measures(run)
    print("Coverage:", file=out)
    if cover.known:
        for index, name in enumerate(cover.personas):
            if not cover.counts(index):
                print(f"  {name}: {cover.share_text(index)}", file=out)
                continue
            who = ", ".join(cover.represented(index)) or "no one (no quote found in your data)"
            print(f"  {name}: {cover.share_text(index)} of participants — {who}", file=out)
    print(f"  {cover.summary}", file=out)
    print(f"Distinctness: {distinct.summary}", file=out)
    for pair in distinct.pairs:
        flag = "  ⚠ too alike" if pair.too_alike else ""
        print(
            f"  {distinct.personas[pair.first]} · {distinct.personas[pair.second]}: "
            f"{pair.similarity:.0f}% similar, {len(pair.shared)} shared participants{flag}",
            file=out,
        )


def print_verdicts(run: Run, stream: TextIO | None = None) -> None:
    """The run's summary, then each persona: usable or unusable with its reasons, and its
    quotes in your data (:mod:`persona.core.verdicts`)."""
    out = stream or sys.stderr
    print(f"{run.title} · {run.summary.text}", file=out)
    for persona in run.personas:
        status = persona_status(persona)
        mark = "  " if status.usable else "⚠ "
        quotes = run_summary([persona]).quotes_text
        print(f"  {mark}{persona.name}: {status.text} · {quotes}", file=out)
