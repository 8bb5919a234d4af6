"""The root conftest keeps every test away from the developer's data, servers and keys."""

from __future__ import annotations

import os
from pathlib import Path

from persona.core.settings import load_settings
from persona.history.store import history_path
from tests.conftest import UNREACHABLE


def test_history_lives_in_a_fresh_folder(isolated: Path) -> None:
    assert load_settings().data_dir == isolated
    assert history_path().parent == isolated
    assert not any(isolated.iterdir()), "another test's data leaked in"


def test_no_real_server_or_key_is_reachable() -> None:
    assert load_settings().ollama_host == UNREACHABLE
    leaked = [n for n in os.environ if n.startswith(("ANTHROPIC_", "OPENAI_"))]
    assert leaked == []
