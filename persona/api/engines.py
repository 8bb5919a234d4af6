"""Engines: what runs the model, on this machine or a server, and what fits it.

Status, model lists, pulls with the fit check and the built-in engine's install, for the
dashboard's Hardware & models page, Settings and the ``persona`` command.
"""

from __future__ import annotations

from persona.core.settings import load_settings
from persona.engines.base import Engine
from persona.engines.builtin import BuiltinEngine, demo_model_name
from persona.engines.builtin_install import (
    install_builtin,
    install_command,
    llama_installed,
    missing_packages,
)
from persona.engines.catalogue import fit, format_parameters, recommend
from persona.engines.gguf import read_gguf
from persona.engines.hardware import detect_hardware
from persona.engines.inventory import check_ollama, install_steps, model_rows
from persona.engines.ollama import OllamaClient
from persona.engines.ollama.engine import OllamaEngine
from persona.engines.ollama.pull import track_pull
from persona.engines.registry import api_key_for, default_model, make_engine, parallel_requests
from persona.engines.status import check_engine

__all__ = [
    "BuiltinEngine",
    "OllamaClient",
    "OllamaEngine",
    "api_key_for",
    "check_engine",
    "check_ollama",
    "default_engine",
    "default_model",
    "demo_model_name",
    "detect_hardware",
    "fit",
    "format_parameters",
    "install_builtin",
    "install_command",
    "install_steps",
    "llama_installed",
    "make_engine",
    "missing_packages",
    "model_rows",
    "parallel_requests",
    "read_gguf",
    "recommend",
    "track_pull",
]


def default_engine() -> Engine:
    """The engine Persona's settings choose: ``settings.toml`` (the Settings page), then the
    environment (``PERSONA_ENGINE``, ``OLLAMA_HOST``, ``OPENAI_BASE_URL``...); Ollama at
    ``127.0.0.1:11434`` by default."""
    return make_engine(load_settings())
