"""A small model writes each persona part by part from one group of participants: Persona
offers invented names and the passages a claim may cite; nothing the model types is trusted."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from persona.core.documents import Passage
from persona.core.schema import CLAIM_SECTIONS
from persona.generation.generate import Generation
from persona.generation.parts import (
    AGE_PATTERN,
    BIO_CHARS,
    CLAIM_PATTERN,
    INVENTED_NAMES,
    PART_TOKENS,
    ROLE_PATTERN,
    Identity,
    claim_problems,
    claims_schema,
    identity_problems,
    identity_schema,
    offered_names,
    participant_groups,
    role_pattern,
    section_passages,
)
from persona.generation.references import CitedClaim
from persona.generation.request import GenerationRequest
from persona.generation.writing_parts import sample_temperature
from tests.fakes import PASSAGES, QueuedEngine

TINY = 134_515_008
"""SmolLM2-135M's parameter count, as its GGUF header and Ollama report it."""
MARIA_IDS = {"P1", "P2", "P3"}
TOM_IDS = {"P4", "P5", "P6"}


def request(**kwargs: object) -> GenerationRequest:
    return GenerationRequest(model="smollm2:135m", **{"count": 2, "seed": 7, **kwargs})  # type: ignore[arg-type]


def identity(name: str, role: str = "Shift nurse", quote: str = "P1") -> str:
    return json.dumps(
        {
            "name": name,
            "age": "30-40",
            "role": role,
            "bio": "Works long shifts and shops for a family of four.",
            "quote": {"passage": quote, "span": ""},
        }
    )


def section(key: str, *claims: tuple[str, str]) -> str:
    return json.dumps({key: [{"passages": [pid], "text": text} for pid, text in claims]})


def sections_for(group_ids: set[str]) -> list[str]:
    """Answers to a group's section calls that cite the passage each call shows, in words of
    that passage (the first words, or the last when the passage was cited before)."""
    group = [p for p in PASSAGES if p.id in group_ids]
    replies, cited = [], set()
    for key, (passage,) in zip(CLAIM_SECTIONS, section_passages(group), strict=True):
        said = passage.text.split(":", 1)[1].split()
        words = said[-5:] if passage.id in cited else said[:5]
        cited.add(passage.id)
        replies.append(section(key, (passage.id, " ".join(words))))
    return replies


MARIA_SECTIONS = sections_for(MARIA_IDS)
TOM_SECTIONS = sections_for(TOM_IDS)


def schemas(engine: QueuedEngine, key: str) -> list[dict[str, Any]]:
    return [c["schema"] for c in engine.calls if key in c["schema"]["properties"]]


@given(st.lists(st.sampled_from([*INVENTED_NAMES, "Alex", "Priya Raman", "Mei", "Sofia"])))
def test_the_names_offered_are_never_a_participants_nor_one_used(names: list[str]) -> None:
    used = ["Jonas Weber"]
    offered = offered_names(names, used)
    taken = {w.casefold() for n in [*names, *used] for w in n.split()}
    assert all(not {w.casefold() for w in n.split()} & taken for n in offered)
    assert all(n in INVENTED_NAMES for n in offered)


@pytest.mark.parametrize("role", ["Maria", "Mateo Alvarez", "P05-parent.md", "", "Alex Morgan"])
def test_a_role_that_is_a_name_or_a_file_name_is_told_back(role: str) -> None:
    answer = Identity.model_validate(json.loads(identity("Alex Morgan", role)))
    problems = identity_problems(answer, ["Alex Morgan"], ["Maria Gonzalez"])
    assert problems and "the role must be an occupation" in problems[0]
    assert (
        identity_problems(answer.model_copy(update={"role": "Night nurse"}), ["Alex Morgan"]) == []
    )


def test_the_names_offered_leave_out_participants_and_vary_by_start() -> None:
    offered = offered_names(["Alex", "Priya"], [])
    assert offered and "Alex Morgan" not in offered and "Priya Raman" not in offered
    assert offered_names([], [], start=6)[0] != offered_names([], [])[0]


def test_groups_keep_each_participants_passages_together() -> None:
    groups = participant_groups(PASSAGES, 2)
    assert [{p.id for p in g} for g in groups] == [MARIA_IDS, TOM_IDS]
    one = participant_groups(PASSAGES[:3], 2)  # one participant, two personas: runs of passages
    assert len(one) == 2 and sum(len(g) for g in one) == 3


def test_each_section_is_written_from_its_own_substantive_passage() -> None:
    texts = ["Yes.", "I ride the early bus to work daily", "I ride the evening bus home daily"]
    texts += ["The worst part is that the bus is late", "I want a seat on the bus home"]
    group = [Passage("a.md", f"line {n}", t, f"P{n}", "A") for n, t in enumerate(texts)]
    shown = section_passages(group)
    assert [len(s) for s in shown] == [1] * len(CLAIM_SECTIONS)
    ids = [s[0].id for s in shown]
    assert ids[:2] == ["P4", "P3"], "the goal from a wish, the pain point from a complaint"
    assert len(set(ids)) == 4 and "P0" not in ids, "never the passage with nothing to say"


def test_a_small_model_writes_each_persona_from_one_group_with_offered_names() -> None:
    replies = [identity("Alex Morgan"), *MARIA_SECTIONS]
    replies += [identity("Daniel Novak", "Warehouse worker", "P6"), *TOM_SECTIONS]
    engine = QueuedEngine(replies, parameters=TINY)
    generation = Generation(engine, PASSAGES, request())
    list(generation.events())
    personas = generation.result.personas
    assert [p.name for p in personas] == ["Alex Morgan", "Daniel Novak"]
    assert all(not p.unusable for p in personas), [p.unusable for p in personas]
    assert personas[0].participants == ["Maria"] and personas[1].participants == ["Tom"]
    assert len(engine.calls) == 10
    names = [s["properties"]["name"]["enum"] for s in schemas(engine, "name")]
    assert all("Maria" not in " ".join(n) and "Tom" not in " ".join(n) for n in names)
    assert "Alex Morgan" not in names[1], "a name used earlier in the run is not offered again"
    for call in engine.calls:
        assert call["messages"][0]["content"] == engine.calls[0]["messages"][0]["content"]
        asked = call["messages"][1]["content"]
        assert "1 claim per list" in asked and "participants are: Maria, Tom" in asked


def test_a_claim_call_offers_only_its_groups_ids() -> None:
    replies = [identity("Alex Morgan"), *MARIA_SECTIONS]
    replies += [identity("Daniel Novak", "Warehouse worker", "P6"), *TOM_SECTIONS]
    engine = QueuedEngine(replies, parameters=TINY)
    list(Generation(engine, PASSAGES, request()).events())
    calls = [c["schema"] for c in engine.calls]
    for schema, group in [(calls[0], MARIA_IDS), (calls[5], TOM_IDS)]:
        assert set(schema["$defs"]["QuoteRef"]["properties"]["passage"]["enum"]) == group
    for schema, group in [
        *((s, MARIA_IDS) for s in calls[1:5]),
        *((s, TOM_IDS) for s in calls[6:]),
    ]:
        (key,) = schema["properties"]
        item = schema["properties"][key]["items"]
        assert len(item["properties"]["passages"]["items"]["enum"]) == 1
        assert set(item["properties"]["passages"]["items"]["enum"]) <= group
        assert item["properties"]["passages"]["maxItems"] == 1
        assert schema["properties"][key]["maxItems"] == 1
        assert list(item["properties"]) == ["passages", "text"], "the ID before the sentence"
        assert item["properties"]["text"]["minLength"] >= 12, "never 'n/a' nor a lone name"


def test_a_misbehaving_small_model_is_sampled_again_and_never_presented_as_usable() -> None:
    # What SmolLM2 does: a participant's name (no enum honoured), claims unrelated to the
    # passage they cite, one claim repeated, an ID that does not exist; and asked again, the
    # same answer (a tiny model repeats itself).
    shown = [part[0].id for part in section_passages(PASSAGES)]
    unrelated = section("goals", (shown[0], "Enjoys hiking in the mountains"))
    repeated = section("pain_points", (shown[1], "Enjoys hiking in the mountains"))
    unknown = section("behaviours", ("P77", "Spends less than 80 euros on food"))
    motivations = section("motivations", (shown[3], "Enjoys hiking in the mountains"))
    replies = [identity("Maria Gonzalez", "Maria")] * 3
    for reply in (unrelated, repeated, unknown, motivations):
        replies += [reply] * 3
    engine = QueuedEngine(replies, parameters=TINY, schema_enum=False)
    generation = Generation(engine, PASSAGES, request(count=1))
    list(generation.events())
    (persona,) = generation.result.personas
    reasons = " ".join(persona.unusable)
    assert "real name" in reasons and "repeat another claim" in reasons
    assert "no quote in your data that supports them" in reasons
    assert len(engine.calls) == 15, "each part: the first answer and two more samples"
    for part in range(5):
        sampled = engine.calls[part * 3 : part * 3 + 3]
        assert all(c["messages"] == sampled[0]["messages"] for c in sampled), "the same prompt"
        assert len({c["options"].seed for c in sampled}) == 3, "each sample its own seed"
    rules = engine.calls[0]["messages"][1]["content"]
    assert "never a participant's (the participants are: Maria, Tom)" in rules
    assert "Choose the name from: Alex Morgan" in rules
    assert "an occupation, never a name or a file name" in rules
    assert generation.result.dropped_ids >= 1, "P77 is dropped and counted"
    assert any("marked unusable" in w for w in generation.result.warnings)
    assert len(generation.result.raw_answers) == 15, "every answer that broke a rule is kept"


def test_a_part_that_breaks_a_rule_is_sampled_again_until_it_keeps_them() -> None:
    # Seen with SmolLM2-135M (bench/first_run.py, seed 11): the role "N/A", a claim that is
    # a timestamp. Neither may be kept while another sample keeps the rules.
    replies = [identity("Alex Morgan", "N/A"), identity("Alex Morgan")]
    stamp = section("goals", (section_passages(PASSAGES[:3])[0][0].id, "2018-03-19 2:47:56.66"))
    replies += [stamp, MARIA_SECTIONS[0], *MARIA_SECTIONS[1:]]
    engine = QueuedEngine(replies, parameters=TINY)
    generation = Generation(engine, PASSAGES[:3], request(count=1))
    list(generation.events())
    (persona,) = generation.result.personas
    assert persona.role == "Shift nurse" and persona.unusable == []
    assert "2018" not in json.dumps(persona.model_dump())
    assert [c["options"].seed for c in engine.calls[:2]] == [7, 1007]
    assert [c["options"].temperature for c in engine.calls[:2]] == [0.4, 0.55], "warmer"
    assert len(engine.calls) == 7


def test_the_identity_call_reads_its_whole_group_with_the_interviewers_lines() -> None:
    said = ["ride the early bus", "want a seat home", "hate the late trains", "love quiet"]
    said += ["check the app daily", "pay with my card", "walk the last mile", "fear the stairs"]
    said += ["need step-free stations", "wait in the rain", "share rides often", "plan my week"]
    group = [
        Passage("a.md", f"line {n}", f"Honestly, I always {text} on weekdays", f"P{n}", "Ann")
        for n, text in enumerate(said, start=1)
    ]
    question = Passage("a.md", "line 0", "Interviewer: how do you travel?", "P0", citable=False)
    replies = [identity("Alex Morgan", quote="P1")]
    parts = zip(CLAIM_SECTIONS, section_passages(group), strict=True)
    replies += [section(key, (part[0].id, part[0].text)) for key, part in parts]
    engine = QueuedEngine(replies, parameters=TINY)
    generation = Generation(engine, [question, *group], request(count=1))
    list(generation.events())
    assert not any("passages" in w for w in generation.result.warnings)  # none left unread
    asked = engine.calls[0]["messages"][1]["content"]
    assert "Interviewer: how do you travel?" in asked  # the context of what was said
    cited = [p.id for p in group if f"{p.id} " in asked.split("<research_data>")[1]]
    assert cited == [p.id for p in group]  # every passage of the group, in order
    quote = engine.calls[0]["schema"]["$defs"]["QuoteRef"]
    assert list(quote["properties"]) == ["passage"], "the whole passage: no span to copy"
    assert quote["properties"]["passage"]["enum"] == cited


@pytest.mark.parametrize(
    ("pattern", "allowed", "refused"),
    [
        (
            ROLE_PATTERN,
            ["Nurse", "Night shift nurse", "Daily commuter"],
            ["Sofia Marchetti", "P04-visitor.md", "N/A", "Maria Gonzalez", "", "nurse"],
        ),
        (
            CLAIM_PATTERN,
            ["Often misses the 7:02 train and is late.", "I want a seat on the bus home"],
            ["2018-03-19 2:47:56.66", "1. I leave the house", "10.38% of the total", "Maria"],
        ),
        (ROLE_PATTERN, ["Shift nurse"], ["Amaradonjoserollesanzabajairodeyagorimasanais"]),
        (
            CLAIM_PATTERN,
            [],
            [
                "Maria Gonzalez 13:24.08.2017.23:56",
                "I " + "ride and " * 9,
                "Then ican'ttakecallsonthewardenandthenmore today",
            ],
        ),
        (AGE_PATTERN, ["34", "30-40"], ["37,", "12345", "N/A"]),
    ],
)
def test_english_patterns_keep_names_numbers_and_placeholders_out(
    pattern: str, allowed: list[str], refused: list[str]
) -> None:
    assert all(re.fullmatch(pattern, text) for text in allowed)
    assert not any(re.fullmatch(pattern, text) for text in refused)


def test_an_english_role_is_written_in_words_the_participants_said_never_a_name() -> None:
    # SmolLM2-135M's roles when free: "Sure", "Narita", "Maria on cardiac ward", "Daniel".
    said = "Maria: I'm a nurse at St. Anne's, on night shifts. Sure, Maria knows Daniel Novak."
    said += " A lot of work."
    group = [Passage("a.md", "line 1", said, "P1", "Maria")]
    pattern = role_pattern(group, ["Maria"])
    for role in ("Nurse", "Nurse night shifts"):
        assert re.fullmatch(pattern, role), role
    for role in ("Maria", "Sure", "Daniel", "Anne", "Nurse maria", "Narita", "Night", "Lot"):
        assert not re.fullmatch(pattern, role), role
    assert role_pattern([Passage("a.md", "line 1", "Ja. Nein.", "P1", "Ann")], []) == ROLE_PATTERN
    no_article = role_pattern([Passage("a.md", "line 1", "Sure, night shifts.", "P1", "Ann")], [])
    assert not re.fullmatch(pattern, "Nurse on the work"), "no function words"
    assert re.fullmatch(no_article, "Night shifts"), "without 'a' or 'an', any content word"
    schema = identity_schema(["Alex Morgan"], ["P1"], enum=True, language="English", role=pattern)
    assert schema["properties"]["role"]["pattern"] == pattern


@pytest.mark.parametrize("language", ["English", "German", ""])
def test_the_grammar_patterns_are_only_for_english(language: str) -> None:
    ident = identity_schema(["Alex Morgan"], ["P1"], enum=True, language=language)
    claim = claims_schema("goals", ["P1"], 1, enum=True, language=language)
    text = claim["properties"]["goals"]["items"]["properties"]["text"]
    english = language == "English"
    assert ("pattern" in ident["properties"]["role"]) is english
    assert ("pattern" in text) is english
    assert ident["properties"]["bio"]["maxLength"] == BIO_CHARS, "a bio never runs on"


@pytest.mark.parametrize("role", ["N/A", "TBD", "..."])
def test_a_placeholder_role_is_a_problem(role: str) -> None:
    answer = Identity.model_validate(json.loads(identity("Alex Morgan", role)))
    assert any("placeholder" in p for p in identity_problems(answer, ["Alex Morgan"]))


@pytest.mark.parametrize("text", ["2018-03-19 2:47:56.66", "10.38 49.67 2", "N/A"])
def test_a_claim_that_is_only_a_number_or_a_placeholder_is_a_problem(text: str) -> None:
    shown = {"P1": PASSAGES[0]}
    problems = claim_problems([CitedClaim(text=text, passages=["P1"])], shown, [])
    assert any("only a number, an ID or a placeholder" in p for p in problems)


def looping() -> str:
    return '{"name":"Alex Morgan","age":"30","role":"Rider","bio":"' + "She rides. " * 400


def test_the_personas_finished_before_a_loop_are_kept() -> None:
    replies = [identity("Alex Morgan"), *MARIA_SECTIONS, looping(), looping(), looping()]
    engine = QueuedEngine(replies, parameters=TINY)
    generation = Generation(engine, PASSAGES, request(max_repairs=2))
    list(generation.events())
    assert [p.name for p in generation.result.personas] == ["Alex Morgan"]
    assert engine.closed == 3, "each looping answer (and each new sample) was stopped early"
    assert all(c["options"].max_tokens == PART_TOKENS for c in engine.calls), "never runs on"
    warnings = " ".join(generation.result.warnings)
    assert "Persona 2 of 2 failed" in warnings and "1 usable persona(s) of the 2 asked" in warnings


@pytest.mark.parametrize("per_call", [1, 2])
def test_the_users_own_per_call_keeps_whole_persona_calls(per_call: int) -> None:
    engine = QueuedEngine(parameters=TINY)
    generation = Generation(engine, PASSAGES, request(per_call=per_call))
    assert not generation.by_parts


@pytest.mark.parametrize(
    ("first", "attempt", "expected"),
    [(0.4, 0, 0.4), (0.0, 1, 0.15), (0.4, 2, 0.7), (0.6, 2, 0.7), (0.9, 2, 0.9)],
)
def test_a_new_sample_is_warmer_but_never_hot_nor_colder_than_asked(
    first: float, attempt: int, expected: float
) -> None:
    assert sample_temperature(first, attempt) == pytest.approx(expected)
