"""`persona export RUN_ID`: write a saved run as JSON, Markdown, CSV, PDF or Word."""

from __future__ import annotations

import argparse

from persona import api
from persona.api.runs import find_run, passages_from_copy
from persona.cli.exits import EXIT_OK
from persona.cli.report import print_verdicts
from persona.types import FORMATS, Engine


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    exp = sub.add_parser(
        "export", parents=[common], help="write a saved run as JSON, Markdown, CSV, PDF or Word"
    )
    exp.add_argument("run_id", metavar="RUN_ID", help="a run id (or its start), or `latest`")
    exp.add_argument("--format", choices=FORMATS, default="pdf")
    exp.add_argument(
        "--out", default=".", help="folder or file to write (default: here); never overwritten"
    )
    exp.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace, engine: Engine) -> int:
    """Write the run (never replacing a file) and print its verdicts."""
    store = api.open_history()
    run = find_run(args.run_id, store)
    kept = passages_from_copy(run.research_text) if run.research_text else None
    print(api.save_export(run, args.format, args.out, passages=kept))
    print_verdicts(run)
    return EXIT_OK
