"""The same study, end to end, on two real engines running SmolLM2-135M:

- a real OpenAI-compatible server, ``python -m llama_cpp.server`` (started through
  ``tests/llama_server.py`` for the AMX-safe loading), through :class:`OpenAIEngine`;
- the built-in engine, in this process.

What a 135M model writes is not under test; Persona's guarantees are: the whole study reached
the model, every saved persona is schema-valid, every quote was checked, the run is saved
with its engine — or the run ends with a clear :class:`GenerationError`, its answers kept.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
import requests

from persona.core.errors import GenerationError
from persona.core.schema import Persona
from persona.engines.base import Engine
from persona.engines.builtin import BuiltinEngine, demo_model_name
from persona.engines.llamacpp import demo_model_path
from persona.engines.openai_compat import OpenAIEngine
from persona.generation.pipeline import SavedGeneration
from persona.generation.prompts import format_line
from persona.generation.request import GenerationRequest
from persona.history.store import Store
from persona.ingest import Reading
from tests.browser import ROOT, Service, _child_env, free_port
from tests.test_realmodel import (
    CONTEXT_CAP,
    SEED,
    _require_model_extra,
    check_evidence,
    run_until_done,
    sample_reading,
    streamed_answers,
)

pytestmark = pytest.mark.realmodel

SERVER_CONTEXT = 2048
SERVER_START_S = 180.0


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
    """``llama_cpp.server`` serving the demo model on a free local port; its ``/v1`` URL."""
    _require_model_extra()
    pytest.importorskip("llama_cpp.server", reason="needs llama-cpp-python[server]")
    import subprocess

    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.llama_server",
            "--model",
            str(demo_model_path()),
            "--model_alias",
            "smollm2",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            str(SERVER_CONTEXT),
            "--verbose",
            "false",
        ],
        cwd=ROOT,
        env=_child_env({}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    service = Service("llama-server", process, url=f"http://127.0.0.1:{port}/v1")
    assert process.stdout is not None
    service.follow(process.stdout)
    deadline = time.monotonic() + SERVER_START_S
    while True:
        if process.poll() is not None or time.monotonic() > deadline:
            service.stop()
            raise RuntimeError(f"llama_cpp.server did not start:\n{service.log_tail()}")
        try:
            if requests.get(f"{service.url}/models", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.5)
    yield service.url
    service.stop()


def recording_client(url: str, sent: list[dict[str, Any]]) -> openai.OpenAI:
    """An SDK client on the real server that records every chat request body it sends."""

    def record(request: httpx2.Request) -> None:
        if request.url.path.endswith("/chat/completions"):
            sent.append(json.loads(request.read()))

    return openai.OpenAI(
        base_url=url,
        api_key="none",
        max_retries=0,
        http_client=httpx2.Client(event_hooks={"request": [record]}, timeout=600),
    )


def run_study(
    engine: Engine, model: str, tmp_path: Path
) -> tuple[SavedGeneration, list[str], GenerationError | None, Store, Reading]:
    reading = sample_reading()
    store = Store(tmp_path / "history.sqlite3")
    request = GenerationRequest(
        model=model,
        count=1,
        temperature=0,
        seed=SEED,
        max_repairs=1,
        context_cap=CONTEXT_CAP,
    )
    local = SavedGeneration(engine, reading, request, store)
    events, error = run_until_done(local)
    return local, streamed_answers(events), error, store, reading


def check_outcome(
    local: SavedGeneration,
    answers: list[str],
    error: GenerationError | None,
    store: Store,
    engine: Engine,
    model: str,
) -> None:
    """Personas that hold up, or a clear failure with the answers kept; saved either way."""
    saved = store.get(local.run.id)
    assert saved.engine == engine.label and saved.model == model
    assert saved.usage.calls == len(answers) >= 1
    if error is not None:
        assert "kept for inspection" in str(error) or "context" in str(error)
        assert saved.status in ("failed", "partial") and saved.message == str(error)
        assert set(answers[:-1]) <= set(saved.raw_answers)
        return
    personas = local.generation.result.personas
    assert personas and saved.status in ("complete", "partial")
    for persona in saved.personas:
        assert Persona.model_validate(persona.model_dump()) == persona
    check_evidence(saved.personas, local.reading)


def test_a_study_on_a_real_openai_compatible_server(llama_server: str, tmp_path: Path) -> None:
    sent: list[dict[str, Any]] = []
    engine = OpenAIEngine(
        llama_server,
        client=recording_client(llama_server, sent),
        context_length=SERVER_CONTEXT,
    )
    (model,) = engine.list_models()
    assert model.name == "smollm2" and model.context_length == SERVER_CONTEXT
    assert model.details["context_source"] == "the Context length setting"
    assert engine.warnings() == []

    local, answers, error, store, reading = run_study(engine, "smollm2", tmp_path)
    print(f"{len(answers)} call(s); outcome: {error or local.generation.result.warnings}")

    # llama-cpp-python's server refuses json_schema once, then takes json_object + schema
    refused, *answered = sent
    assert refused["response_format"]["type"] == "json_schema"
    assert len(answered) == len(answers) >= 1
    for body in answered:
        assert body["model"] == "smollm2" and body["stream"] is True
        assert body["response_format"]["type"] == "json_object"
        assert body["response_format"]["schema"]["type"] == "object"
        assert body["max_tokens"] > 0 and body["seed"] == SEED
        prompt = body["messages"][1]["content"]
        for passage in reading.passages:
            assert format_line(passage) in prompt, f"lost {passage.cite()}"
    check_outcome(local, answers, error, store, engine, "smollm2")


def test_a_study_on_the_builtin_engine(tmp_path: Path) -> None:
    _require_model_extra()
    engine = BuiltinEngine(tmp_path / "models")
    model = demo_model_name()
    (info,) = engine.list_models()
    assert info.name == model and info.context_length == 8192 and info.details["demo"] is True
    local, answers, error, store, _ = run_study(engine, model, tmp_path)
    print(f"{len(answers)} call(s); outcome: {error or local.generation.result.warnings}")
    check_outcome(local, answers, error, store, engine, model)
