"""A small model gets smaller tasks: one persona per call, fewer claims, every limit told to it;
what it finishes is kept, whatever the next call does. (Where the study fits one call, it
writes each persona part by part: tests/test_parts.py; the whole-persona calls here are what
it writes from findings, or when the user chose how many personas each call writes.)"""

from __future__ import annotations

import json

import pytest

from persona.core.schema import MAX_CLAIMS
from persona.engines.base import ModelInfo
from persona.generation.generate import Generation
from persona.generation.references import DRAFT_SCHEMA
from persona.generation.request import GenerationRequest
from persona.generation.strategy import FULL, SMALL, shaped, strategy_for
from tests.fakes import ANA, BEN, PASSAGES, QueuedEngine, draft_dict, personas_json

TINY = 134_515_008
"""SmolLM2-135M's parameter count, as its GGUF header and Ollama report it."""


def request(**kwargs: object) -> GenerationRequest:
    return GenerationRequest(model="smollm2:135m", **{"count": 2, "seed": 7, **kwargs})  # type: ignore[arg-type]


def looping() -> str:
    """A tiny model's answer that repeats one sentence until it is stopped."""
    start = '{"personas":[{"name":"Mia Stone","age":"30","role":"Rider","bio":"'
    return start + "She rides. " * 400


@pytest.mark.parametrize(
    ("parameters", "strategy"),
    [(TINY, SMALL), (999_000_000, SMALL), (3_200_000_000, FULL), (None, FULL), (0, FULL)],
)
def test_the_strategy_follows_the_models_size(parameters: int | None, strategy: object) -> None:
    assert strategy_for(ModelInfo("m", parameters=parameters)) is strategy


def test_shaped_limits_every_claim_section_and_nothing_else() -> None:
    schema = shaped(DRAFT_SCHEMA, SMALL)
    persona = schema["$defs"]["DraftPersona"]["properties"]
    for section in ("goals", "pain_points", "behaviours", "motivations"):
        assert persona[section]["maxItems"] == SMALL.claims < MAX_CLAIMS
    assert schema["properties"] == DRAFT_SCHEMA["properties"]
    assert DRAFT_SCHEMA["$defs"]["DraftPersona"]["properties"]["goals"]["maxItems"] == MAX_CLAIMS


def test_a_small_model_writes_one_persona_per_call_told_every_limit() -> None:
    assert Generation(QueuedEngine(parameters=TINY), PASSAGES, request()).plan.per_call == 1
    engine = QueuedEngine([personas_json(ANA), personas_json(BEN)], parameters=TINY)
    generation = Generation(engine, PASSAGES, request(per_call=1))
    list(generation.events())
    assert [p.name for p in generation.result.personas] == ["Ana Ruiz", "Ben Okoro"]
    assert len(engine.calls) == 2
    for call in engine.calls:
        schema = call["schema"]
        assert schema["properties"]["personas"]["maxItems"] == 1
        assert schema["$defs"]["DraftPersona"]["properties"]["goals"]["maxItems"] == SMALL.claims
        asked = call["messages"][1]["content"]
        assert "Write 1 persona from" in asked and f"{SMALL.claims} claims per list" in asked
    assert "Ana Ruiz (Nurse)" in engine.calls[1]["messages"][1]["content"], "told who is written"


def test_a_larger_model_keeps_writing_several_personas_per_call() -> None:
    engine = QueuedEngine([personas_json(ANA, BEN)], parameters=3_200_000_000)
    generation = Generation(engine, PASSAGES, request())
    list(generation.events())
    assert len(engine.calls) == 1 and generation.plan.per_call == 2
    assert f"{MAX_CLAIMS} claims per list" in engine.calls[0]["messages"][1]["content"]


def test_the_users_own_per_call_wins() -> None:
    engine = QueuedEngine([personas_json(ANA, BEN)], parameters=TINY)
    generation = Generation(engine, PASSAGES, request(per_call=2))
    list(generation.events())
    assert len(engine.calls) == 1


def test_the_personas_finished_before_a_loop_are_kept() -> None:
    # Call 2 loops on every try (its repairs too); calls 1 and 3 finish their persona.
    replies = [personas_json(ANA), looping(), looping(), looping(), personas_json(BEN)]
    engine = QueuedEngine(replies, parameters=TINY)
    generation = Generation(engine, PASSAGES, request(count=3, max_repairs=2, per_call=1))
    list(generation.events())
    assert [p.name for p in generation.result.personas] == ["Ana Ruiz", "Ben Okoro"]
    assert engine.closed == 3, "each looping answer was stopped early"
    assert "repeating itself" in engine.calls[2]["messages"][-1]["content"]
    assert any("2 usable persona(s) of the 3 asked" in w for w in generation.result.warnings)


def misbehaving() -> dict:
    """What SmolLM2 wrote on unseen interviews: a file name as the name, a claim repeated,
    IDs that do not exist, a number as a pain point."""
    persona = draft_dict("P05-parent.md", "Parent", ("P1", "P2", "P3"))
    persona["goals"] = [
        {"text": "Wants a family ticket on one code", "passages": ["P1"]},
        {"text": "Wants a family ticket on one code", "passages": ["P77"]},
    ]
    persona["pain_points"] = [{"text": "45.69", "passages": ["P99", "P2"]}]
    return persona


def test_a_misbehaving_small_model_is_told_why_and_never_presented_as_usable() -> None:
    engine = QueuedEngine([personas_json(misbehaving())] * 3, parameters=TINY)
    generation = Generation(engine, PASSAGES, request(count=1, max_repairs=2, per_call=1))
    list(generation.events())
    (persona,) = generation.result.personas
    reasons = " ".join(persona.unusable)
    assert "file name" in reasons and "repeat another claim" in reasons
    assert "only a number" in reasons
    assert generation.result.dropped_ids == 6, "P77 and P99, in each of the 3 answers"
    told = json.dumps([c["messages"][-1]["content"] for c in engine.calls[1:]])
    assert "file name" in told and "repeat another claim" in told and "only a number" in told
    assert any("marked unusable" in w for w in generation.result.warnings)
