"""Claude answers only what changes: the schema and instructions say so, Persona rebuilds the
whole persona from the draft, and what it cannot keep is ignored and reported."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from persona.hybrid.answer import RefinedPersona
from persona.hybrid.batch import batch_instructions, complete_entries
from persona.hybrid.changes import (
    CHANGES_RULES,
    KEEP,
    REPAIR_RULES,
    PersonaChanges,
    apply_changes,
    batch_format,
    output_format,
)
from persona.hybrid.messages import validate
from persona.hybrid.payload import REQUESTS
from tests.fake_anthropic import as_changes, improve

DRAFT = {
    "name": "Maria Planner",
    "age": "30-40",
    "role": "Night-shift nurse",
    "bio": "Maria orders groceries on her break.",
    "goals": [
        {"text": "Wants the delivery before her shift starts.", "passages": ["P1"]},
        {"text": "Wants to reorder last week's basket in one tap.", "passages": ["P2"]},
    ],
    "pain_points": [{"text": "Loses an hour when substitutions go wrong.", "passages": ["P3"]}],
    "behaviours": [{"text": "Plans the week's meals on Sunday evening.", "passages": ["P1"]}],
    "motivations": [],
    "quote": {"passage": "P2"},
}
NEW_GOAL = {"text": "Wants every delivery inside a two-hour window.", "passages": ["P3"]}


def changes(**fields) -> PersonaChanges:
    base = {
        "name": None,
        "age": None,
        "role": None,
        "bio": None,
        "goals": [0, 1],
        "pain_points": [0],
        "behaviours": [0],
        "motivations": [],
        "quote": None,
    }
    return PersonaChanges.model_validate({**base, **fields})


def test_nothing_changed_rebuilds_the_draft_itself():
    rebuilt = apply_changes(DRAFT, changes())
    assert rebuilt.persona == DRAFT and rebuilt.ignored == []


def test_written_fields_and_claims_replace_kept_ones_in_order():
    rebuilt = apply_changes(
        DRAFT, changes(bio="Maria shops at 3 am.", goals=[NEW_GOAL, 1], quote={"passage": "P3"})
    )
    persona = rebuilt.persona
    assert persona["bio"] == "Maria shops at 3 am." and persona["name"] == DRAFT["name"]
    assert persona["goals"] == [NEW_GOAL, DRAFT["goals"][1]]  # the rewritten claim stays first
    assert persona["quote"] == {"passage": "P3"}


def test_kept_indexes_the_draft_lacks_or_repeats_are_ignored_and_reported():
    rebuilt = apply_changes(DRAFT, changes(goals=[0, 7, 0], pain_points=[-1, 0]))
    assert rebuilt.persona["goals"] == [DRAFT["goals"][0]]
    assert rebuilt.persona["pain_points"] == DRAFT["pain_points"]
    assert rebuilt.ignored == ["goals #7", "goals #0", "pain_points #-1"]


def test_what_is_left_out_keeps_the_draft_and_null_does_too():
    """The schema asks to leave out what is kept; an answer that writes null instead (as a
    model may) means the same."""
    left_out = PersonaChanges.model_validate({"bio": "Maria shops at 3 am.", "goals": [1]})
    rebuilt = apply_changes(DRAFT, left_out).persona
    assert rebuilt["name"] == DRAFT["name"] and rebuilt["quote"] == DRAFT["quote"]
    assert rebuilt["pain_points"] == DRAFT["pain_points"]  # a section left out: all kept
    assert rebuilt["goals"] == [DRAFT["goals"][1]] and rebuilt["bio"] == "Maria shops at 3 am."
    assert apply_changes(DRAFT, changes(bio="Maria shops at 3 am.", goals=[1])).persona == rebuilt


def test_dropping_every_goal_does_not_validate():
    """An empty section written out drops its claims; without goals the schema fails, so the
    answer goes back for a repair instead of becoming a persona without goals."""
    with pytest.raises(ValidationError, match="goals"):
        validate(json.dumps({"goals": []}), DRAFT, None)


def test_a_repairs_named_problems_are_not_kept_in_the_persona():
    draft = {**DRAFT, "goals": [{**DRAFT["goals"][0], "problem": "no quote supports it"}]}
    rebuilt = apply_changes(draft, PersonaChanges.model_validate({})).persona
    assert rebuilt["goals"] == [DRAFT["goals"][0]]


def test_validate_restores_pseudonyms_after_rebuilding():
    answer = json.dumps({**changes().model_dump(), "bio": "[PERSON_1] shops at night."})
    refined, ignored = validate(
        answer, DRAFT, lambda d: json.loads(json.dumps(d).replace("[PERSON_1]", "Chidi Okonkwo"))
    )
    assert refined.bio == "Chidi Okonkwo shops at night." and refined.role == DRAFT["role"]
    assert [c.text for c in refined.goals] == [g["text"] for g in DRAFT["goals"]]
    assert ignored == []


def test_every_rule_of_the_answer_shape_is_told_to_the_model():
    schema = json.dumps(output_format(["P1", "P2"]))
    assert schema.count(KEEP) == 1 and "Index of a draft claim kept" in schema
    assert schema.count('"enum": ["P1", "P2"]') == 1  # the IDs listed once, cited by $ref
    assert schema.count('"$ref": "#/$defs/PassageId"') == 2  # a claim's passages, the quote
    assert "index (from 0)" in CHANGES_RULES and "leave out" in CHANGES_RULES
    for mode in ("refine", "repair"):
        assert CHANGES_RULES in REQUESTS[mode]
    assert REPAIR_RULES in REQUESTS["repair"]
    assert REPAIR_RULES in batch_instructions(["refine", "repair"])
    refine_only = batch_instructions(["refine", "refine"])  # only what its drafts need
    assert "repair" not in refine_only and CHANGES_RULES in refine_only
    batch = batch_format(["P1"], ["D1", "D2"])["schema"]
    entry = batch["$defs"]["DraftChanges"]
    assert entry["properties"]["draft"]["enum"] == ["D1", "D2"]
    assert entry["required"] == ["draft"] and KEEP in entry["description"]
    assert entry["properties"]["name"] == {
        "type": "string",
        "description": RefinedPersona.model_fields["name"].description,
    }  # not nullable: what is kept is left out


def test_the_fakes_changes_rebuild_what_it_meant():
    """The fake's brain writes a whole persona; as changes, Persona rebuilds the same one."""
    payload = {"persona": DRAFT, "passages": [{"id": f"P{n}", "text": "x"} for n in (1, 2, 3)]}
    whole = improve(payload)
    answer = as_changes(whole, DRAFT)
    assert "name" not in answer and "pain_points" not in answer  # kept: left out
    assert isinstance(answer["goals"][0], dict) and answer["goals"][1] == 1
    assert apply_changes(DRAFT, PersonaChanges.model_validate(answer)).persona == whole
    assert len(json.dumps(answer)) < 0.8 * len(json.dumps(whole))


ENTRY = st.fixed_dictionaries(
    {
        "draft": st.sampled_from(["D1", "D2", "D3"]),
        "bio": st.one_of(st.none(), st.text(alphabet='ab]}[{," :é', max_size=12)),
        "goals": st.lists(st.integers(0, 5), max_size=3),
    }
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ENTRY, max_size=4), st.data())
def test_a_cut_off_batch_yields_exactly_the_entries_that_arrived_whole(entries, data):
    text = json.dumps({"personas": entries}, ensure_ascii=False)
    assert complete_entries(text) == entries
    cut = data.draw(st.integers(0, len(text)))
    found = complete_entries(text[:cut])
    assert found == entries[: len(found)]
    ends = []
    position = text.find("[") + 1
    for entry in entries:
        position = text.index(json.dumps(entry, ensure_ascii=False), position)
        position += len(json.dumps(entry, ensure_ascii=False))
        ends.append(position)
    assert len(found) == sum(end <= cut for end in ends)
