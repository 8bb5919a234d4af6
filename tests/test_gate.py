"""The local quality gate: supported claims, completeness, distinctness; an unusable draft or
one with no claim evidence never scores high and never has "no problems"."""

from __future__ import annotations

import pytest

from persona.core.schema import Claim, Evidence, Persona
from persona.hybrid.gate import DEFAULT_THRESHOLD, UNUSABLE_CAP, WEIGHTS, score_all, score_persona
from tests.fakes import MARIA, TOM


def persona(data: dict, verified: bool | None = True) -> Persona:
    p = Persona.model_validate(data)
    for evidence in p.all_evidence():
        evidence.verified = verified
    return p


def test_weights_add_up():
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)


@pytest.mark.parametrize(("verified", "evidence"), [(True, 100.0), (False, 0.0)])
def test_evidence_share(verified, evidence):
    score = score_persona(persona(MARIA, verified))
    assert score.evidence == evidence
    if not verified:
        assert "3 of 3 claims lack a supporting quote in your data" in score.reasons


def test_partly_verified():
    p = persona(MARIA)
    p.goals[0].evidence[0].verified = False
    score = score_persona(p)
    assert score.evidence == pytest.approx(200 / 3)


def test_weak_support_is_not_support():
    p = persona(MARIA)
    p.goals[0].evidence[0].weak_support = True
    assert score_persona(p).evidence == pytest.approx(200 / 3)


def test_the_representative_quote_is_not_claim_evidence():
    """Issue 17: a persona with no claim evidence, only a representative quote, scored 95.7."""
    full = dict(
        MARIA,
        bio="Maria is a nurse who plans every meal on Sunday so that her weeks stay calm.",
        goals=[
            {"text": "Wants calm weeks", "evidence": []},
            {"text": "Plans ahead", "evidence": []},
        ],
        pain_points=[{"text": "The app forgets things"}, {"text": "Slots are full"}],
        behaviours=[{"text": "Plans on Sunday"}, {"text": "Keeps a budget"}],
        motivations=[{"text": "A calm family life"}],
    )
    score = score_persona(persona(full))
    assert score.evidence == 0.0
    assert score.value <= 50.0 < DEFAULT_THRESHOLD
    assert "7 of 7 claims lack a supporting quote in your data" in score.reasons


def test_an_unusable_draft_never_scores_high_nor_has_no_problems():
    """Issue 17: drafts marked unusable ("12 of 12 claims cite the same passage") scored 89/100
    and 85/100 with "no problems found"."""
    same = Evidence(quote="I plan every meal on Sunday", source="maria.md", locator="line 3")
    same.verified = True
    claims = [Claim(text=f"Plans meal number {n} ahead of time", evidence=[same]) for n in range(4)]
    reason = "12 of 12 claims cite the same passage (P1)"
    draft = Persona(
        name="Maria Planner",
        age="30-40",
        role="Nurse",
        bio="Maria is a nurse who plans every meal on Sunday so that her weeks stay calm.",
        goals=claims[:2],
        pain_points=claims[2:],
        behaviours=claims[:2],
        motivations=claims[2:3],
        quote=same,
        participants=["Maria"],
        unusable=[reason],
    )
    usable = draft.model_copy(update={"unusable": []})
    assert score_persona(usable).value > 85  # complete, every claim cited: it looks good
    score = score_persona(draft)
    assert score.value <= UNUSABLE_CAP < DEFAULT_THRESHOLD
    assert score.reasons[0] == f"unusable: {reason}"


def test_completeness_names_what_is_missing():
    score = score_persona(persona(MARIA))
    assert "lacks at least two goals" in score.reasons
    assert "lacks at least one motivation" in score.reasons
    assert "lacks the participants it represents" not in score.reasons
    assert 0 < score.completeness < 100


def test_distinctness_against_a_clone():
    a, b = persona(MARIA), persona(dict(MARIA, name="Marie Planner"))
    score = score_persona(a, [b])
    assert score.distinctness < 20
    assert any(
        "nearly the same role, goals and pain points as Marie Planner" in r for r in score.reasons
    )


def test_value_is_the_weighted_sum():
    a, b = persona(MARIA), persona(TOM)
    score = score_persona(a, [b])
    expected = (
        WEIGHTS["evidence"] * score.evidence
        + WEIGHTS["completeness"] * score.completeness
        + WEIGHTS["distinctness"] * score.distinctness
    )
    assert score.value == pytest.approx(expected, abs=0.05)


def test_score_all_compares_each_with_the_others():
    scores = score_all([persona(MARIA), persona(TOM), persona(dict(MARIA, name="Clone"))])
    assert scores[1].distinctness > scores[0].distinctness
    assert len(scores) == 3
