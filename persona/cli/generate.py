"""`persona generate`: read files (or a study), make personas, save them to History, export.

Everything that can be checked without a model is checked first (the API key, the output
folder, the files), so a typo never costs a long run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from persona import api
from persona.api.engines import parallel_requests
from persona.api.exports import changes_markdown, check_writable_dir, write_new
from persona.api.hybrid import FrontierClient, resolve_api_key
from persona.api.settings import where_engine_runs
from persona.api.studies import suggest_study
from persona.cli.choices import (
    COLUMNS_HELP,
    add_choice_arguments,
    interviewer_choices,
    table_choices,
)
from persona.cli.columns import show_columns
from persona.cli.exits import EXIT_CANCELLED, EXIT_FAIL, EXIT_OK
from persona.cli.hybrid import refine_step
from persona.cli.models import pick_model
from persona.cli.reading import keep_in_study, report_reading
from persona.cli.report import print_coverage, print_verdicts
from persona.cli.terminal import drive, print_warnings
from persona.cli.transcribe import transcribe_sources
from persona.core.errors import InputError
from persona.types import (
    DEFAULT_MODELS,
    DEFAULT_THRESHOLD,
    FORMATS,
    ON_THIS_MACHINE,
    Engine,
    Settings,
)

LANGUAGE_HELP = (
    "language to write personas in, e.g. German (default: the language of the data); "
    "quotes always stay as written"
)


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    gen = sub.add_parser("generate", parents=[common], help="make personas from research files")
    gen.add_argument(
        "--from",
        dest="sources",
        nargs="+",
        metavar="PATH",
        help="files and folders (CSV, TSV, XLSX, JSON, JSONL, TXT, MD, PDF, DOCX, VTT, SRT; "
        "recordings WAV, MP3, M4A, MP4, MOV, WEBM, OGG are transcribed on this machine first); "
        "they are added to the run's study. Not needed with --study",
    )
    gen.add_argument(
        "--model",
        "--local-model",
        dest="model",
        help="model to use (default: the Settings page's, else the recommended one; with "
        "--engine builtin, the demo model)",
    )
    gen.add_argument("--count", type=int, default=3, help="number of personas, 1-10 (default 3)")
    gen.add_argument("--context", default="", help="what the product and study are about")
    gen.add_argument("--seed", type=int, help="seed for repeatable runs")
    gen.add_argument("--temperature", type=float, default=0.4)
    gen.add_argument("--out", default=".", help="folder for the export (default: here)")
    gen.add_argument("--format", choices=FORMATS, default="json")
    gen.add_argument(
        "--study",
        help="the study this run belongs to and, without --from, whose files it reads "
        "(default: named after the files)",
    )
    add_choice_arguments(
        gen,
        '"show" lists the columns of CSV/TSV/Excel files with suggested roles; ' + COLUMNS_HELP,
    )
    gen.add_argument(
        "--keep-text", action="store_true", help="also keep the research text in History"
    )
    gen.add_argument("--language", help=LANGUAGE_HELP)
    hybrid = gen.add_argument_group("hybrid refinement with Claude (sends data to Anthropic)")
    hybrid.add_argument("--hybrid", action="store_true", help="refine drafts with Claude")
    hybrid.add_argument("--frontier-provider", choices=["anthropic"], default="anthropic")
    hybrid.add_argument("--frontier-model", default=DEFAULT_MODELS[0])
    hybrid.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help="refine drafts scoring below this (0-100)",
    )
    hybrid.add_argument("--refine-all", action="store_true", help="refine every draft")
    hybrid.add_argument("--max-cost", type=float, help="stop calling Claude past this many USD")
    hybrid.add_argument(
        "--yes",
        action="store_true",
        help="send without asking (and transcribe long recordings without asking)",
    )
    gen.set_defaults(func=cmd_generate, reads_study=True)


def cmd_generate(args: argparse.Namespace, engine: Engine) -> int:
    """Read, generate (with a live bar), refine with Claude when asked, export, and print the
    verdicts; Ctrl-C keeps what was made in History."""
    if args.columns == "show":
        return show_columns(args.sources or _study_copies(args.study))
    key = resolve_api_key() if args.hybrid else None  # before any model runs
    if args.hybrid and args.max_cost is not None and args.max_cost < 0:
        raise InputError(f"--max-cost must be 0 or more, not {args.max_cost:g}.")
    out = _export_target(Path(args.out))
    choices = table_choices(args)
    interviewers = interviewer_choices(args)
    if args.sources:
        transcribe_sources(args.sources, args.yes)  # recordings first, with their progress
        reading = api.read(*args.sources, choices=choices, interviewers=interviewers)
        print(f"Reading {len(reading.reports)} file(s):", file=sys.stderr)
        report_reading(reading, sys.stderr)
        if not reading.ok_count:
            raise InputError("None of the files could be read; see the reasons above.")
        study = args.study or suggest_study([d.name for d in reading.documents])
        keep_in_study(study, args.sources, choices, interviewers)
    else:
        study = api.study(args.study).name
        if choices is not None or interviewers is not None:
            api.set_study_choices(study, choices=choices, interviewers=interviewers)
        reading = api.study_reading(study)
        print(f"Reading the study {study!r} ({len(reading.reports)} file(s)):", file=sys.stderr)
        report_reading(reading, sys.stderr)
        if not reading.passages:
            raise InputError(
                f"The study {study!r} has no files to read: add some with "
                f"`persona study add {study!r} FILES...`."
            )
        choices = None  # the study's saved choices, read and recorded by api.generate
    settings: Settings = args.settings
    model = pick_model(engine, settings, args.model)
    store = api.open_history()
    job = api.generate(
        reading if args.sources else None,
        model,
        count=args.count,
        engine=engine,
        store=store,
        keep_research_text=args.keep_text,
        study=study,
        columns=choices,
        frontier_model=args.frontier_model if args.hybrid else None,
        context=args.context,
        temperature=args.temperature,
        seed=args.seed,
        parallel=parallel_requests(settings, engine),
        language=args.language or "",
    )
    where = where_engine_runs(settings)
    print(f"Engine: {engine.label}. Model: {model}. {job.plan.describe()}", file=sys.stderr)
    print(f"Drafts are made {where}.", file=sys.stderr)
    run = job.run
    try:
        drive(iter(job))
    except KeyboardInterrupt:
        kept = f"{len(run.records)} persona(s)" if run.records else "what was made"
        print(
            f"Stopped. {kept} saved in History as run {run.id} (interrupted); "
            "open it on the History page of the dashboard.",
            file=sys.stderr,
        )
        return EXIT_CANCELLED
    print_warnings(job.warnings)
    within_budget = True
    if args.hybrid:
        if where != ON_THIS_MACHINE:
            print(f"Your study already went to the engine {where} for the drafts.", file=sys.stderr)
        within_budget = refine_step(
            run,
            reading,
            store,
            FrontierClient(key),
            model=args.frontier_model,
            threshold=args.threshold,
            refine_all=args.refine_all,
            max_cost=args.max_cost,
            assume_yes=args.yes,
        )
    written = api.save_export(run, args.format, out, passages=reading.passages)
    print(written)
    if args.hybrid and any(r.refined for r in run.records):
        changes = changes_markdown(run).encode("utf-8")
        print(write_new(out, written.stem + "-changes.md", changes))
    print_coverage(run)
    print_verdicts(run)
    print(f"Study {run.study!r} · run {run.id}", file=sys.stderr)
    return EXIT_OK if within_budget else EXIT_FAIL


def _export_target(target: Path) -> Path:
    """``--out`` as given, once its folder is known to accept new files (before any model)."""
    check_writable_dir(target if target.is_dir() or not target.suffix else target.parent)
    return target


def _study_copies(name: str | None) -> list[str]:
    """The copies of a study's files (for ``--columns show --study NAME``)."""
    if not name:
        raise InputError("--columns show needs --from FILES or --study NAME.")
    return [str(f.path) for f in api.study(name).files]
