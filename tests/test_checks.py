"""The same checks on every version: quotes word for word, weak support, who a persona is
based on, degeneracy and distinctness, whatever a model typed (and end to end through a local
run with a model that misbehaves)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from persona.core.documents import Document, Passage
from persona.core.schema import Claim, Evidence, Persona
from persona.generation.checks import check_personas
from persona.generation.degenerate import degeneracy
from persona.generation.pipeline import SavedGeneration
from persona.generation.request import GenerationRequest
from persona.history.store import Store
from persona.ingest import Reading
from tests.fakes import ANA, BEN, PASSAGES, QueuedEngine, draft_dict, personas_json


def typed(text: str, passage: Passage | None = None) -> Evidence:
    """A quote as a model typed it (with the place it claims)."""
    return Evidence(
        quote=text,
        source=passage.source if passage else "",
        locator=passage.locator if passage else "",
    )


def refined(**changes) -> Persona:
    """A refined persona as Claude might return it: quotes typed, participants typed."""
    base = Persona(
        name="Ana Ruiz",
        age="30-40",
        role="Nurse",
        bio="Ana is a nurse who plans the family's meals.",
        goals=[
            Claim(text="Wants calm, planned weeks of meals", evidence=[typed(PASSAGES[0].text)])
        ],
        pain_points=[
            Claim(text="Loses time when the app forgets things", evidence=[typed(PASSAGES[1].text)])
        ],
        behaviours=[
            Claim(text="Keeps a tight weekly food budget", evidence=[typed(PASSAGES[2].text)])
        ],
        quote=typed(PASSAGES[0].text),
        participants=["Joaquim", "Maria"],
    )
    return base.model_copy(update=changes)


def test_a_refined_persona_gets_every_check_afresh() -> None:
    draft_reason = "3 of 3 claims cite the same passage (P1)"
    [checked] = check_personas([refined(unusable=[draft_reason])], PASSAGES)
    assert checked.unusable == []  # it passes the checks itself, so it is usable
    assert all(e.verified for e in checked.all_evidence())
    assert checked.participants == ["Maria"]  # from the passages found, never as typed
    assert [e.weak_support for _, c in checked.claims() for e in c.evidence] == [False] * 3
    assert checked.quote.weak_support is None


def test_a_changed_number_is_not_found_and_mostly_unsupported_is_unusable() -> None:
    changed = PASSAGES[2].text.replace("80", "85")
    persona = refined(
        goals=[Claim(text="Spends little on food each week", evidence=[typed(changed)])],
        pain_points=[
            Claim(text="Loses time when the app forgets", evidence=[typed("I lose a day")])
        ],
    )
    [checked] = check_personas([persona], PASSAGES)
    assert [e.verified for e in checked.all_evidence()] == [True, False, False, True]
    assert "2 of 3 claims have no quote in your data that supports them" in checked.unusable
    assert checked.participants == ["Maria"]


def test_a_weak_citation_is_marked_against_the_claim_as_written() -> None:
    persona = refined(
        goals=[Claim(text="Collects vintage stamps from Peru", evidence=[typed(PASSAGES[0].text)])]
    )
    [checked] = check_personas([persona], PASSAGES)
    assert checked.goals[0].evidence[0].weak_support is True
    assert checked.goals[0].evidence[0].verified is True
    assert not checked.goals[0].supported


def test_a_persona_repeating_an_earlier_one_is_unusable_and_a_real_name_is_caught() -> None:
    first, twin = refined(), refined(role="Night nurse")
    named = refined(name="Tom Maria", role="Driver", bio="Drives at night for a living.")
    alike = refined(name="Eva Stone")
    checked = check_personas([first, twin, named, alike], PASSAGES)
    assert checked[0].unusable == []
    assert any("same name as Ana Ruiz" in r for r in checked[1].unusable)
    assert any("participant's real name" in r for r in checked[2].unusable)
    assert checked[3].unusable == [
        "it has nearly the same role, goals and pain points as Ana Ruiz: make it a different "
        "person from a different group of participants"
    ]
    # Only a usable persona counts as "the earlier one": the unusable twin blocks no one.
    assert check_personas([twin.model_copy(update={"bio": ""}), alike], PASSAGES)[1].unusable == []


def test_the_originals_are_not_changed() -> None:
    persona = refined()
    check_personas([persona], PASSAGES)
    assert persona.participants == ["Joaquim", "Maria"]
    assert all(e.verified is None for e in persona.all_evidence())


# --- degeneracy: each rule, and each is told to the model -------------------------------------


def good() -> Persona:
    [checked] = check_personas([refined()], PASSAGES)
    return checked


def claims(*texts: str) -> list[Claim]:
    return [Claim(text=t, evidence=[typed(PASSAGES[i % 3].text)]) for i, t in enumerate(texts)]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"role": "  "}, "the role is empty"),
        ({"bio": ""}, "the bio is empty"),
        ({"name": "P05-parent.md"}, "is a file name"),
        ({"name": "interview_03.docx"}, "is a file name"),
        ({"goals": claims("1783619877")}, "only a number or an identifier"),
        ({"goals": claims("45.69")}, "only a number or an identifier"),
        ({"role": "string"}, "placeholder text"),
        ({"bio": "N/A"}, "placeholder text"),
        ({"bio": "Lorem ipsum dolor sit amet, consectetur."}, "placeholder text"),
        ({"role": "TBD"}, "placeholder text"),
        ({"role": "..."}, "placeholder text"),
        ({"goals": claims("example")}, "placeholder text"),
        (
            {"goals": claims("Wants calm and planned weeks", "Wants calm, planned weeks!")},
            "repeat another claim",
        ),
        (
            {
                "goals": claims("Wants calm, planned weeks of meals"),
                "pain_points": claims("Wants calm planned weeks of meal"),
            },
            "repeat another claim",
        ),
        (
            {
                "goals": [Claim(text="Wants calm, planned weeks of meals")],
                "pain_points": [Claim(text="Loses time when the app forgets")],
                "behaviours": [Claim(text="Keeps a tight weekly food budget")],
            },
            "no claim cites a passage",
        ),
    ],
)
def test_each_degeneracy_rule(changes: dict, reason: str) -> None:
    assert degeneracy(good()) == []
    reasons = degeneracy(good().model_copy(update=changes))
    assert any(reason in r for r in reasons), reasons


@pytest.mark.parametrize(
    ("role", "reason"),
    [
        ("Maria", "is a participant's name (Maria Gonzalez)"),
        ("maria gonzalez", "is a participant's name (Maria Gonzalez)"),
        ("Daniel", "is a participant's name (Daniel)"),
        ("P04-visitor.md", "is a file name; a role is an occupation"),
        ("Night nurse", ""),
        ("Customer service agent", ""),
    ],
)
def test_a_role_that_is_only_a_participants_name_or_a_file_name_is_unusable(
    role: str, reason: str
) -> None:
    # Roles SmolLM2-135M wrote (bench/first_run.py, seed 11); the rule is told to the model
    # ("a role (an occupation, never a name or a file name)").
    reasons = degeneracy(
        good().model_copy(update={"role": role}), ["Maria Gonzalez", "Daniel", "Customer"]
    )
    assert any(reason in r for r in reasons) if reason else reasons == [], reasons


def test_every_rule_is_told_to_the_model() -> None:
    from persona.generation.prompts import personas_prompt, synthesis_prompt

    for told_to_the_model in (personas_prompt([], 2, ""), synthesis_prompt([], 2, "")):
        for told in (
            "nor a file name",
            "an occupation, never a name or a file name",
            "never empty",
            "no placeholders",
            "never only a number or an ID",
            "never the same claim twice",
            "most claims must cite passages that say them",
        ):
            assert told in told_to_the_model


# --- end to end: a model that misbehaves ------------------------------------------------------


def misbehaving() -> list[dict]:
    """Drafts a real small model writes: all IDs invented, one claim three times, a file name
    as the name, numbers and placeholders as claims, an empty role and bio."""
    invented = draft_dict("Nora Quinn", "Teacher", ("P71", "P72", "P73"))
    invented["quote"] = {"passage": "P99", "span": ""}
    looped = draft_dict("Omar Haddad", "Cyclist", ("P4", "P5", "P6"))
    for section in ("goals", "pain_points", "behaviours"):
        looped[section] = [{"text": "Orders late at night after a shift", "passages": ["P4"]}]
    filename = draft_dict("P05-parent.md", "Parent", ("P1", "P2", "P3"))
    numbers = draft_dict("Rita Sousa", "Clerk", ("P1", "P2", "P3"))
    numbers["goals"] = [{"text": "1783619877", "passages": ["P1"]}]
    numbers["pain_points"] = [{"text": "45.69", "passages": ["P2"]}]
    placeholder = draft_dict("Sam Lee", "string", ("P4", "P5", "P6"))
    placeholder["bio"] = "N/A"
    empty = draft_dict("Tess Moor", "", ("P4", "P5", "P6"))
    empty["bio"] = ""
    return [invented, looped, filename, numbers, placeholder, empty]


EXPECTED = {
    "Nora Quinn": "no claim cites a passage",
    "Omar Haddad": "repeat another claim",
    "P05-parent.md": "is a file name",
    "Rita Sousa": "only a number or an identifier",
    "Sam Lee": "placeholder text",
    "Tess Moor": "the role is empty",
}


def test_a_misbehaving_model_never_gets_an_unusable_persona_presented_as_usable(
    tmp_path: Path,
) -> None:
    bad = misbehaving()
    answers = [personas_json(ANA, *bad[:3]), personas_json(*bad[3:], BEN)]
    # Every call and repair gets the same misbehaviour back, with one good persona each time.
    engine = QueuedEngine([answers[0], answers[1], answers[1]], schema_enum=False)
    document = Document("study.md", "md", "c" * 64, 1000, list(PASSAGES))
    store = Store(tmp_path / "history.sqlite3")
    local = SavedGeneration(
        engine, Reading(documents=[document]), GenerationRequest("m", count=4, max_repairs=2), store
    )
    for _ in local.events():
        pass
    saved = store.get(local.run.id)
    by_name = {p.name: p for p in saved.personas}
    assert not by_name["Ana Ruiz"].unusable and not by_name["Ben Okoro"].unusable
    shown_bad = [p for name, p in by_name.items() if name in EXPECTED]
    assert len(shown_bad) == 2  # the two places left of the four asked, marked unusable
    for persona in shown_bad:
        assert any(EXPECTED[persona.name] in r for r in persona.unusable), persona.unusable
    assert saved.summary.usable == 2 and saved.summary.personas == 4
    repairs = [c["messages"][-1]["content"] for c in engine.calls[1:]]
    told = "\n".join(repairs)
    for reason in EXPECTED.values():
        assert reason in told  # each persona was sent back with its reasons
    assert json.loads(answers[0])  # the fake's answers are valid JSON: only content is bad


@pytest.mark.parametrize(
    ("claim", "quote", "weak"),
    [
        ("代替品が届いて困っている", "佐藤：先週は代替品が届きました。", False),
        ("電話で人と話したい", "佐藤：先週は代替品が届きました。", True),
        ("Falsche Ersatzprodukte ärgern sie", "Letzte Woche kamen wieder Ersatzprodukte.", False),
    ],
)
def test_weak_support_reads_unspaced_scripts_by_character_pairs(claim, quote, weak) -> None:
    from persona.generation.references import weak_support

    assert weak_support(claim, quote) is weak
