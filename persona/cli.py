"""The `persona` command: the same domain functions as the dashboard, for scripting."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from persona import __version__
from persona.catalogue import recommend
from persona.errors import PersonaError
from persona.hardware import detect_hardware, format_bytes
from persona.inventory import check_ollama, install_steps, model_rows
from persona.ollama import OllamaClient
from persona.ollama.pull import track_pull
from persona.terminal import ProgressLine

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
