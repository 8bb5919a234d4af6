"""The `persona` command: the Python API (:mod:`persona.api`) from a terminal, for scripting.

Each command lives in its own module with its ``add_parser``; this one builds the parser from
them and runs the command asked for, turning every error into a message and an exit code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from persona import __version__
from persona.api.engines import make_engine
from persona.api.jobs import log_unexpected
from persona.api.settings import load_settings
from persona.cli import (
    chat,
    check,
    edit,
    export,
    generate,
    models,
    pull,
    resume,
    rm,
    study,
    transcribe,
    ui,
)
from persona.cli.compare import cmd_compare
from persona.cli.exits import EXIT_CANCELLED, EXIT_FAIL
from persona.core.errors import PersonaError
from persona.types import ENGINES, MAX_PARALLEL


def engine_options() -> argparse.ArgumentParser:
    """Which engine a command uses and how (shared by every command that runs a model)."""
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
    return common


def _add_compare(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
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
    compare.add_argument("--language", help=generate.LANGUAGE_HELP)
    compare.add_argument("--out", default=".", help="folder for the comparison (default: here)")
    compare.set_defaults(func=cmd_compare, reads_study=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="persona",
        description="Evidence-backed UX personas from your research data, made by a model on "
        "this machine or on a server you choose.",
    )
    parser.add_argument("--version", action="version", version=f"persona {__version__}")
    common = engine_options()
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in (check, models, pull, rm, generate, chat, edit):
        command.add_parser(sub, common)
    _add_compare(sub, common)
    for command in (export, resume):
        command.add_parser(sub, common)
    transcribe.add_parser(sub)
    study.add_parser(sub)
    ui.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "reads_study", False) and not args.sources and not args.study:
        parser.error(
            f"{args.command}: say what to read: --from FILES (files and folders), or --study "
            "NAME for a study's files (`persona study list` shows them)"
        )
    func: Callable[..., int] = args.func
    try:
        if not getattr(args, "needs_engine", True):  # on this machine: no model engine
            return func(args)
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
