"""The `persona` command: the same domain functions as the dashboard, for scripting."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

from persona import __version__
from persona.cli.terminal import ProgressLine
from persona.core.errors import InputError, PersonaError
from persona.core.progress import Progress
from persona.core.settings import Settings
from persona.engines.catalogue import recommend
from persona.engines.hardware import detect_hardware, format_bytes
from persona.engines.inventory import check_ollama, install_steps, model_rows
from persona.engines.ollama import OllamaClient
from persona.engines.ollama.engine import OllamaEngine
from persona.engines.ollama.pull import track_pull
from persona.generation.generate import GenerationRequest
from persona.generation.pipeline import LocalRun
from persona.history.export import changes_markdown, export
from persona.history.store import Store
from persona.hybrid.cloud import DEFAULT_MODELS, FrontierClient, resolve_api_key
from persona.hybrid.gate import DEFAULT_THRESHOLD
from persona.hybrid.refine import Preview, choose, prepare, refine
from persona.ingest import Reading, read_paths

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130


def _emit_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


def cmd_check(args: argparse.Namespace, client: OllamaClient) -> int:
    """Is Ollama reachable? Version, number of models, hardware."""
    status = check_ollama(client)
    hardware = detect_hardware()
    advice = recommend(hardware)
    if args.json:
        _emit_json(
            {
                "ollama": status.to_dict(),
                "hardware": hardware.to_dict(),
                "recommended_model": advice.tier.model,
            }
        )
        return EXIT_OK if status.reachable else EXIT_FAIL
    if status.reachable:
        print(f"Ollama {status.version} is running at {status.host}")
        print(f"Models installed: {status.model_count}")
    else:
        print(f"Ollama is not reachable at {status.host}")
        for number, step in enumerate(install_steps(), start=1):
            print(f"  {number}. {step}")
    for line in hardware.summary_lines():
        print(line)
    print(f"Recommended model: {advice.tier.model} — {advice.explanation}")
    return EXIT_OK if status.reachable else EXIT_FAIL


def cmd_models(args: argparse.Namespace, client: OllamaClient) -> int:
    """Local models with a fit verdict; ``--recommend`` for the best tier for this machine."""
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
    rows = model_rows(client, hardware)
    if args.json:
        _emit_json([row.to_dict() for row in rows])
        return EXIT_OK
    if not rows:
        print(f"No models installed. Try: persona pull {advice.tier.model}")
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


def cmd_pull(args: argparse.Namespace, client: OllamaClient) -> int:
    """Download a model with a progress bar; Ctrl-C cancels (a later pull resumes)."""
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


def cmd_rm(args: argparse.Namespace, client: OllamaClient) -> int:
    """Delete a local model."""
    client.delete(args.name)
    print(f"Deleted {args.name}.")
    return EXIT_OK


def _report(reading: Reading) -> None:
    for report in reading.reports:
        if report.ok:
            print(
                f"  read  {report.name}: {report.rows} passages, ~{report.tokens:,} tokens",
                file=sys.stderr,
            )
            for warning in report.warnings:
                print(f"        {warning}", file=sys.stderr)
        else:
            print(f"  skip  {report.name}: {report.error}", file=sys.stderr)


def _pick_model(client: OllamaClient, wanted: str | None) -> str:
    if wanted:
        return wanted
    installed = [m.name for m in client.list_models()]
    recommended = recommend(detect_hardware()).tier.model
    if recommended in installed:
        return recommended
    if installed:
        return installed[0]
    raise InputError(f"No models are installed. Pull one first: persona pull {recommended}")


def _drive(events: Iterator[Progress]) -> None:
    line = ProgressLine()
    try:
        for event in events:
            line.show(event)
    finally:
        line.end()


def _confirm(preview: Preview, assume_yes: bool) -> bool:
    """Show what will be sent and ask; ``--yes`` answers for non-interactive use."""
    print(f"Quality gate (threshold {preview.threshold:g}):", file=sys.stderr)
    for item in preview.items:
        verdict = "send" if item.selected else "keep"
        reasons = "; ".join(item.score.reasons) or "no problems found"
        print(f"  [{verdict}] {item.name}: {item.score.value:.0f}/100 — {reasons}", file=sys.stderr)
    if not preview.selected:
        print("Every draft passed the gate: nothing to send.", file=sys.stderr)
        return False
    counts = ", ".join(f"{n} {kind}" for kind, n in preview.replaced().items())
    print(f"Replaced before sending: {counts or 'no personal data found'}", file=sys.stderr)
    if preview.withheld:
        print(
            f"Not sent: {preview.withheld} quote(s) not found in your data or not said by a "
            "participant.",
            file=sys.stderr,
        )
    cap = "no cap" if preview.cap_usd is None else f"cap ${preview.cap_usd:.2f}"
    print(
        f"Estimated cost with {preview.model}: about ${preview.estimated_usd:.4f} for "
        f"~{preview.input_tokens:,} input tokens; at most ${preview.ceiling_usd:.4f} ({cap}).",
        file=sys.stderr,
    )
    if preview.costs_more:
        print(
            f"Note: refining is expected to cost more than sending all your data to "
            f"{preview.model} in one go (about ${preview.frontier_only.usd:.4f}).",
            file=sys.stderr,
        )
    if assume_yes:
        return True
    for item in preview.selected:
        print(f"\n--- payload for {item.name} ---\n{item.payload}", file=sys.stderr)
    if not sys.stdin.isatty():
        raise InputError("Nothing was sent: confirm with --yes to refine without a prompt.")
    answer = input(f"Send {len(preview.selected)} persona(s) to Claude? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def cmd_generate(args: argparse.Namespace, client: OllamaClient) -> int:
    """Read files and folders, generate personas, save to History, export."""
    key = resolve_api_key() if args.hybrid else None  # before any model runs
    if args.hybrid and args.max_cost is not None and args.max_cost < 0:
        raise InputError(f"--max-cost must be 0 or more, not {args.max_cost:g}.")
    reading = read_paths(args.sources, max_bytes=Settings().max_file_bytes)
    print(f"Reading {len(reading.reports)} file(s):", file=sys.stderr)
    _report(reading)
    if not reading.ok_count:
        raise InputError("None of the files could be read; see the reasons above.")
    request = GenerationRequest(
        model=_pick_model(client, args.model),
        count=args.count,
        context=args.context,
        temperature=args.temperature,
        seed=args.seed,
        parallel=getattr(args, "parallel", 1),
    )
    store = Store()
    local = LocalRun(
        OllamaEngine(client),
        reading,
        request,
        store,
        keep_research_text=args.keep_text,
        frontier_model=args.frontier_model if args.hybrid else None,
    )
    print(f"Model: {request.model}. {local.generation.plan.describe()}", file=sys.stderr)
    _drive(local.events())
    run = local.run
    for warning in local.generation.result.warnings:
        print(f"Warning: {warning}", file=sys.stderr)
    if args.hybrid:
        preview = prepare(
            run,
            reading.documents,
            model=args.frontier_model,
            threshold=args.threshold,
            refine_all=args.refine_all,
            cap_usd=args.max_cost,
        )
        consent = preview.consent  # what the user is shown and confirms
        if _confirm(preview, args.yes):
            with closing(
                refine(run, preview, FrontierClient(key), store, consent=consent)
            ) as steps:
                _drive(steps)
            spent = run.usage.get("frontier", {}).get("cost_usd", 0.0)
            if spent > preview.frontier_only.usd:
                print(
                    f"Note: refining cost ${spent:.4f}, more than the frontier-only estimate "
                    f"(${preview.frontier_only.usd:.4f}).",
                    file=sys.stderr,
                )
            for index, record in enumerate(run.records):
                if record.refine_error:
                    print(f"Warning: {record.draft.name}: {record.refine_error}", file=sys.stderr)
                elif record.refined:
                    choose(run, index, "refined", store)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name, data, _ = export(run, args.format)
    (out / name).write_bytes(data)
    print(out / name)
    if args.hybrid and any(r.refined for r in run.records):
        diff_path = out / (Path(name).stem + "-changes.md")
        diff_path.write_text(changes_markdown(run), encoding="utf-8")
        print(diff_path)
    print(f"{len(run.records)} personas · {run.verified_summary} · run {run.id}", file=sys.stderr)
    return EXIT_OK


def cmd_resume(args: argparse.Namespace, client: OllamaClient) -> int:
    """Continue a failed or interrupted run from its saved findings: only missing calls."""
    reading = read_paths(args.sources, max_bytes=Settings().max_file_bytes)
    _report(reading)
    store = Store()
    local = LocalRun.resume(OllamaEngine(client), reading, store, args.run_id)
    print(f"Model: {local.run.model}. {local.generation.plan.describe()}", file=sys.stderr)
    _drive(local.events())
    for warning in local.generation.result.warnings:
        print(f"Warning: {warning}", file=sys.stderr)
    run = local.run
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name, data, _ = export(run, args.format)
    (out / name).write_bytes(data)
    print(out / name)
    print(f"{len(run.records)} personas · {run.verified_summary} · run {run.id}", file=sys.stderr)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="persona",
        description="Evidence-backed UX personas from your research data, made on this machine.",
    )
    parser.add_argument("--version", action="version", version=f"persona {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--provider",
        choices=["ollama"],
        default="ollama",
        help="local model provider (only ollama)",
    )
    common.add_argument("--host", help="Ollama address (default: $OLLAMA_HOST or 127.0.0.1:11434)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = sub.add_parser("check", parents=[common], help="is Ollama running? what can I run?")
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
        required=True,
        metavar="PATH",
        help="files and folders (CSV, TSV, JSON, JSONL, TXT, MD, PDF, DOCX)",
    )
    gen.add_argument("--model", "--local-model", dest="model", help="Ollama model to use")
    gen.add_argument("--count", type=int, default=3, help="number of personas, 1-10 (default 3)")
    gen.add_argument("--context", default="", help="what the product and study are about")
    gen.add_argument("--seed", type=int, help="seed for repeatable runs")
    gen.add_argument("--temperature", type=float, default=0.4)
    gen.add_argument("--out", default=".", help="folder for the export (default: here)")
    gen.add_argument("--format", choices=["json", "md", "csv"], default="json")
    gen.add_argument(
        "--keep-text", action="store_true", help="also keep the research text in History"
    )
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
    hybrid.add_argument("--yes", action="store_true", help="send without asking")
    gen.set_defaults(func=cmd_generate)

    resume = sub.add_parser(
        "resume", parents=[common], help="finish a failed or interrupted run (missing calls only)"
    )
    resume.add_argument("run_id", help="the run's id (shown by `persona generate` and History)")
    resume.add_argument("sources", nargs="+", help="the run's files or folders, as before")
    resume.add_argument("--out", default=".", help="folder for the export (default: here)")
    resume.add_argument("--format", choices=["json", "md", "csv"], default="json")
    resume.set_defaults(func=cmd_resume)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace, OllamaClient], int] = args.func
    try:
        with OllamaClient(args.host) as client:
            return func(args, client)
    except PersonaError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except ValueError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
