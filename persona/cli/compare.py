"""`persona compare --models a,b --from FILES` (or ``--study NAME``): one study through several
models, side by side."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from persona import api
from persona.api.compare import compare, side_by_side
from persona.api.studies import suggest_study
from persona.cli.reading import keep_in_study, report_reading
from persona.cli.terminal import ProgressLine
from persona.core.errors import InputError
from persona.types import Engine, Reading


def comparison_markdown(rows: list[dict[str, str]]) -> str:
    """The side-by-side table as Markdown, one column per model."""
    labels = list(rows[0])
    lines = ["# Model comparison", "", "| | " + " | ".join(labels[1:]) + " |"]
    lines.append("|---|" + "---|" * (len(labels) - 1))
    for row in rows:
        cells = [" ".join(row[label].split()).replace("|", "/") for label in labels]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def print_rows(rows: list[dict[str, str]]) -> None:
    """The table for a terminal: each row's label, then every model's cell under it."""
    for row in rows:
        label, *models = row
        print(row[label])
        for model in models:
            print(f"  {model}: {row[model]}")


def cmd_compare(args: argparse.Namespace, engine: Engine) -> int:
    """Run the same study through each model, save every run, print and write the table."""
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    reading: Reading | None = None
    if args.sources:
        reading = api.read(*args.sources)
        if not reading.ok_count:
            raise InputError("None of the files could be read; check the paths and formats.")
        study = args.study or suggest_study([d.name for d in reading.documents])
        keep_in_study(study, args.sources, None, None)
    else:  # --study (main() asks for one of the two): read with its saved choices
        study = api.study(args.study).name
        report_reading(api.study_reading(study), sys.stderr)
    job = compare(
        models,
        reading,
        study=study,
        count=args.count,
        context=args.context,
        temperature=args.temperature,
        seed=args.seed,
        language=args.language or "",
        parallel=args.settings.parallel,
        engine=engine,
        store=api.open_history(),
    )
    line = ProgressLine()
    try:
        for event in job:
            line.show(event)
    finally:
        line.end()
    entries = job.entries
    rows = side_by_side(entries)
    print_rows(rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"comparison-{datetime.now():%Y-%m-%d-%H%M}.md"
    path.write_text(comparison_markdown(rows), encoding="utf-8")
    print(path)
    runs = ", ".join(f"{e.label}: run {e.run.id}" for e in entries if e.run)
    print(f"Saved to History: {runs}", file=sys.stderr)
    return 0 if all(e.run and not e.error for e in entries) else 1
