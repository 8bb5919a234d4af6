"""The local quality gate: evidence, completeness, distinctness."""

from __future__ import annotations

import pytest

from persona.core.schema import Persona
from persona.hybrid.gate import WEIGHTS, score_all, score_persona
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
        assert "4 of 4 quotes not found in your data" in score.reasons


def test_partly_verified():
    p = persona(MARIA)
    p.goals[0].evidence[0].verified = False
    score = score_persona(p)
    assert score.evidence == pytest.approx(75.0)


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
    assert any("similar to Marie Planner" in r for r in score.reasons)


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
