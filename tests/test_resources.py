"""The dashboard's cached listings follow the settings: a status or model list cached for one
engine is never shown for another (Streamlit's cache hashes no argument named with a leading
underscore, so the settings' fingerprint must not have one)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from persona.dashboard.ui import resources
from persona.types import EngineStatus, Settings

pytestmark = pytest.mark.usefixtures("empty_caches")


def test_engine_status_is_cached_per_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def check(engine: object) -> EngineStatus:
        asked.append(type(engine).__name__)
        return EngineStatus(kind="ollama", label=str(len(asked)), state="ready")

    monkeypatch.setattr(resources, "check_engine", check)
    ollama = Settings(engine="ollama")
    server = replace(ollama, engine="openai", base_url="http://127.0.0.1:9/v1")
    first = resources.engine_status(resources.fingerprint(ollama, None), ollama, None)
    again = resources.engine_status(resources.fingerprint(ollama, None), ollama, None)
    other = resources.engine_status(resources.fingerprint(server, None), server, None)
    assert first == again and len(asked) == 2, "one check per settings, not one for all"
    assert other.label == "2" and asked == ["OllamaEngine", "OpenAIEngine"]
