"""The answer reader and evidence by reference, fed anything a model might write."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from persona.core.errors import GenerationError, PersonaError
from persona.core.schema import Persona
from persona.generation.answers import read_items
from persona.generation.references import (
    DRAFT_SCHEMA,
    DraftPersona,
    Finding,
    find_span,
    participants_of,
    resolve,
    weak_support,
)
from persona.generation.repetition import LoopDetector, is_looping
from tests.fakes import ANA, BEN, PASSAGES

BY_ID = {p.id: p for p in PASSAGES}


def personas_from_answer(text: str) -> list[Persona]:
    """What a persona call makes of an answer: personas, or a clear PersonaError."""
    answer = read_items(text, DraftPersona, "personas")
    personas = [resolve(draft, BY_ID)[0] for draft in answer.items]
    if not personas:
        raise GenerationError("no usable persona: " + "; ".join(answer.problems[:3]), raw=text)
    return personas


ids = st.sampled_from(["P1", "P2", "P6", "P99", "p3", " P4 ", "", "X", "P1.2"])
texts = st.one_of(st.text(max_size=40), st.text(min_size=2000, max_size=6000), st.just("Sofia"))
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), texts)
claims = st.fixed_dictionaries(
    {},
    optional={
        "text": st.one_of(texts, scalars),
        "passages": st.one_of(st.lists(ids, max_size=6), scalars),
    },
)
personas = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(texts, scalars),
        "age": st.one_of(texts, scalars),
        "role": texts,
        "bio": texts,
        "goals": st.one_of(st.lists(claims, max_size=8), scalars),
        "pain_points": st.lists(claims, max_size=3),
        "behaviours": st.lists(claims, max_size=3),
        "motivations": st.lists(claims, max_size=3),
        "quote": st.one_of(
            st.fixed_dictionaries({"passage": ids}, optional={"span": texts}), scalars
        ),
        "participants": st.one_of(st.lists(texts, max_size=60), scalars),
    },
)


def _answers() -> st.SearchStrategy[str]:
    valid = st.just(json.dumps({"personas": [ANA, BEN]}))
    documents = st.one_of(
        st.fixed_dictionaries({"personas": st.lists(personas, max_size=4)}),
        st.fixed_dictionaries({"personas": scalars}),
        st.dictionaries(st.text(max_size=8), scalars, max_size=3),
        st.lists(scalars, max_size=3),
    ).map(json.dumps)
    whole = st.one_of(valid, documents, st.text(max_size=200))
    return st.tuples(whole, st.integers(0, 100), st.booleans()).map(
        lambda t: t[0][: len(t[0]) * t[1] // 100] if t[2] else t[0]
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_answers())
def test_any_answer_gives_personas_or_a_clear_persona_error(text: str) -> None:
    try:
        result = personas_from_answer(text)
    except PersonaError as exc:
        assert str(exc)
        return
    for persona in result:
        assert Persona.model_validate(persona.model_dump()) == persona
        for evidence in persona.all_evidence():
            assert evidence.quote == "" or any(evidence.quote in p.text for p in PASSAGES)


def test_a_cut_answer_keeps_every_completed_persona() -> None:
    text = json.dumps({"personas": [ANA, BEN, ANA]})
    cut = text[: text.rindex('"role"')]
    answer = read_items(cut, DraftPersona, "personas")
    assert [d.name for d in answer.items] == ["Ana Ruiz", "Ben Okoro"]
    assert not answer.complete and answer.invalid == 0 and answer.problems == []


def test_one_invalid_persona_does_not_spoil_the_others() -> None:
    text = json.dumps({"personas": [ANA, {"name": "X", "goals": 5}, BEN]})
    answer = read_items(text, DraftPersona, "personas")
    assert [d.name for d in answer.items] == ["Ana Ruiz", "Ben Okoro"]
    assert answer.invalid == 1 and answer.problems[0].startswith("persona 2 (X): ")


def test_soft_limits_trim_and_say_so() -> None:
    long: dict[str, Any] = dict(ANA, bio="word " * 500, goals=ANA["goals"] * 9)
    answer = read_items(json.dumps({"personas": [long]}), DraftPersona, "personas")
    [draft] = answer.items
    assert len(draft.bio) <= 1500 and len(draft.goals) == 6
    assert any("bio was" in t for t in answer.trimmed)
    assert any("goals had 9 items" in t for t in answer.trimmed)


def test_spans_are_found_as_written_in_the_passage() -> None:
    text = "Maria: I plan every meal on Sunday so the week stays calm."
    assert find_span("plan  EVERY meal, on sunday", text) == "plan every meal on Sunday"
    assert find_span("every meal on Monday", text) is None
    assert find_span("lan every", text) is None  # whole words only


def test_weak_support_is_a_lexical_check() -> None:
    text = "Maria: I plan every meal on Sunday so the week stays calm."
    assert not weak_support("Plans meals ahead for a calm week", text)
    assert weak_support("Collects vintage stamps", text)


def test_loops_are_spotted_while_streaming() -> None:
    detector = LoopDetector()
    fed = 0
    for piece in ['{"bio": "'] + ["She likes her bike a lot. "] * 100:
        fed += 1
        if detector.feed(piece):
            break
    assert detector.looping and fed < 30
    assert not is_looping(json.dumps({"personas": [ANA, BEN]}))
    assert is_looping('{"a": "x"' + " " * 200)


def test_who_a_persona_is_based_on_comes_from_the_passages_it_cites() -> None:
    draft = DraftPersona.model_validate(
        {**ANA, "participants": ["Someone Else"], "quote": {"passage": "P4"}}
    )
    persona, _ = resolve(draft, BY_ID)
    assert persona.participants == ["Maria", "Tom"]  # three claims from Maria, the quote Tom's
    assert "participants" not in DRAFT_SCHEMA["$defs"]["DraftPersona"]["properties"]


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        (["P4", "P1", "P2"], ["Maria", "Tom"]),  # the most cited first
        (["P4", "P1"], ["Tom", "Maria"]),  # then in order of first citation
        (["P4", "P99", "", "P4"], ["Tom"]),  # unknown IDs say nothing
        ([], []),
    ],
)
def test_participants_of(ids: list[str], expected: list[str]) -> None:
    assert participants_of(ids, BY_ID) == expected


@pytest.mark.parametrize("junk", [5, None, {"name": "Maria"}, ["Tom"], "Maria"])
def test_a_participant_a_model_writes_into_a_finding_never_spoils_it(junk: object) -> None:
    text = json.dumps(
        {
            "findings": [
                {"kind": "goal", "statement": "Plans", "passages": ["P1"], "participant": junk}
            ]
        }
    )
    answer = read_items(text, Finding, "findings")
    assert [f.passages for f in answer.items] == [["P1"]] and not answer.problems
