"""The engine the settings choose: Ollama, an OpenAI-compatible server or the built-in engine."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from persona.core.errors import SETTINGS_PAGE, ConfigError
from persona.core.settings import Settings
from persona.engines.base import Engine
from persona.engines.builtin import BuiltinEngine, demo_model_name
from persona.engines.ollama.client import OllamaClient
from persona.engines.ollama.engine import OllamaEngine
from persona.engines.openai_compat import OpenAIEngine

KEY_VARIABLES = {"ollama": "OLLAMA_API_KEY", "openai": "OPENAI_API_KEY"}
"""Where each engine's API key comes from when the session gives none (never from a file)."""


def api_key_for(
    settings: Settings, session_key: str | None = None, env: Mapping[str, str] | None = None
) -> str | None:
    """The key to send: the session's own, else the engine's environment variable."""
    if session_key:
        return session_key
    variable = KEY_VARIABLES.get(settings.engine)
    value = (os.environ if env is None else env).get(variable, "") if variable else ""
    return value.strip() or None


def make_engine(settings: Settings, *, api_key: str | None = None) -> Engine:
    """A new engine as ``settings`` describe it (``api_key``: see :func:`api_key_for`)."""
    key = api_key_for(settings, api_key)
    if settings.engine == "ollama":
        client = OllamaClient(settings.ollama_host, timeouts=settings.timeouts, api_key=key)
        return OllamaEngine(client)
    if settings.engine == "openai":
        if not settings.base_url:
            raise ConfigError(
                "The server address (OPENAI_BASE_URL)",
                "",
                "the address of an OpenAI-compatible server such as http://127.0.0.1:8000/v1; "
                f"set it on {SETTINGS_PAGE} or in OPENAI_BASE_URL",
            )
        return OpenAIEngine(
            settings.base_url,
            key,
            timeouts=settings.timeouts,
            context_length=settings.context_length,
        )
    return make_builtin(settings)


def make_builtin(settings: Settings) -> BuiltinEngine:
    """The built-in engine over the demo model, the models folder and the added files."""
    return BuiltinEngine(settings.models_dir, settings.gguf_files)


def parallel_requests(settings: Settings, engine: Engine) -> int:
    """Requests to send at once: the setting, else what suits the engine."""
    return settings.parallel or engine.capabilities.default_parallel


def default_model(
    settings: Settings, kind: str, models: Sequence[str], recommended: str = ""
) -> str | None:
    """The model to preselect among ``models`` of an engine of ``kind``: the setting's, the
    demo for the built-in engine, the recommendation for this machine, else the first."""
    demo = demo_model_name() if kind == "builtin" else ""
    for wanted in (settings.model, demo, recommended):
        if wanted and wanted in models:
            return wanted
    return models[0] if models else None
