"""`persona pull NAME`: download a model into Ollama with a progress bar."""

from __future__ import annotations

import argparse
import sys

from persona.api.engines import OllamaClient, OllamaEngine, track_pull
from persona.cli.exits import EXIT_CANCELLED, EXIT_OK
from persona.cli.terminal import ProgressLine
from persona.core.errors import InputError
from persona.types import Engine


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    pull = sub.add_parser("pull", parents=[common], help="download a model")
    pull.add_argument("name", help="model name, e.g. llama3.2:3b")
    pull.set_defaults(func=cmd_pull)


def cmd_pull(args: argparse.Namespace, engine: Engine) -> int:
    """Download a model with a progress bar; Ctrl-C cancels (a later pull resumes)."""
    client = ollama_only(engine, "pull")
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


def ollama_only(engine: Engine, command: str) -> OllamaClient:
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
