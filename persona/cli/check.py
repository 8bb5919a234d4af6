"""`persona check`: is the engine there and working? Its models, this machine's hardware."""

from __future__ import annotations

import argparse
from typing import Any

from persona.api.engines import (
    OllamaEngine,
    check_engine,
    check_ollama,
    detect_hardware,
    install_steps,
    recommend,
)
from persona.cli.exits import EXIT_FAIL, EXIT_OK
from persona.cli.tables import print_json
from persona.types import Engine


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    check = sub.add_parser("check", parents=[common], help="is the engine running? what can I run?")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.set_defaults(func=cmd_check)


def cmd_check(args: argparse.Namespace, engine: Engine) -> int:
    """The engine's state (Ollama's version and models), the hardware, the model it fits."""
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
        print_json(report)
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
