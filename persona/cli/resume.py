"""`persona resume RUN_ID [FILES]`: finish a failed or interrupted run from its saved
findings, making only the calls that are missing."""

from __future__ import annotations

import argparse
import sys

from persona import api
from persona.api.runs import find_run, read_again, resume_reading
from persona.api.settings import where_engine_runs
from persona.cli.exits import EXIT_OK
from persona.cli.reading import report_reading
from persona.cli.report import print_verdicts
from persona.cli.terminal import drive, print_warnings
from persona.types import FORMATS, Engine


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    resume = sub.add_parser(
        "resume", parents=[common], help="finish a failed or interrupted run (missing calls only)"
    )
    resume.add_argument("run_id", help="a run id (or its start), or `latest`")
    resume.add_argument(
        "sources",
        nargs="*",
        help="the run's files or folders, as before (default: from the run's study)",
    )
    resume.add_argument("--out", default=".", help="folder for the export (default: here)")
    resume.add_argument("--format", choices=FORMATS, default="json")
    resume.set_defaults(func=cmd_resume)


def cmd_resume(args: argparse.Namespace, engine: Engine) -> int:
    """Read the run's files (from its study, or as given), finish the run, export it."""
    store = api.open_history()
    run = find_run(args.run_id, store)
    if args.sources:
        reading = read_again(run, *args.sources)
    else:
        reading = resume_reading(run, store=store)
        print(f"Reading the run's files from the study {run.study!r}:", file=sys.stderr)
    report_reading(reading, sys.stderr)
    job = api.resume(run.id, reading, engine=engine, store=store)
    print(f"Model: {job.run.model}. {job.plan.describe()}", file=sys.stderr)
    print(f"Drafts are made {where_engine_runs(args.settings)}.", file=sys.stderr)
    drive(iter(job))
    print_warnings(job.warnings)
    finished = job.run
    print(api.save_export(finished, args.format, args.out, passages=reading.passages))
    print_verdicts(finished)
    print(f"Run {finished.id}", file=sys.stderr)
    return EXIT_OK
