"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fake_ollama import FakeOllama


@pytest.fixture
def fake_ollama() -> Iterator[FakeOllama]:
    """A running fake Ollama server (default models, schema brain, no delays)."""
    with FakeOllama() as server:
        yield server


@pytest.fixture
def fake_ollama_url(fake_ollama: FakeOllama) -> str:
    """Base URL of the running fake Ollama server."""
    return fake_ollama.url
