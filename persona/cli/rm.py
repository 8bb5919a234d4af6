"""`persona rm NAME`: delete a model from Ollama."""

from __future__ import annotations

import argparse

from persona.cli.exits import EXIT_OK
from persona.cli.pull import ollama_only
from persona.types import Engine


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    rm = sub.add_parser("rm", parents=[common], help="delete a local model")
    rm.add_argument("name")
    rm.set_defaults(func=cmd_rm)


def cmd_rm(args: argparse.Namespace, engine: Engine) -> int:
    """Delete a local model."""
    ollama_only(engine, "rm").delete(args.name)
    print(f"Deleted {args.name}.")
    return EXIT_OK
