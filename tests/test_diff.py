"""Readable diffs: word-level track changes, aligned field table, per-field merge."""

from __future__ import annotations

import pytest

from persona.diff import Segment, field_changes, merge, to_html, word_diff
from persona.schema import Claim, Persona
from tests.fakes import MARIA


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("a calm week", "a calm week", [("same", "a calm week")]),
        ("a week", "a calm week", [("same", "a "), ("added", "calm "), ("same", "week")]),
        ("a calm week", "a week", [("same", "a "), ("removed", "calm "), ("same", "week")]),
        (
            "plans on Sunday.",
            "plans on Monday.",
            [("same", "plans on "), ("removed", "Sunday"), ("added", "Monday"), ("same", ".")],
        ),
        ("", "new", [("added", "new")]),
        ("old", "", [("removed", "old")]),
        ("", "", []),
    ],
)
def test_word_diff(before, after, expected):
    assert [(s.kind, s.text) for s in word_diff(before, after)] == expected


def test_word_diff_rebuilds_both_sides():
    before, after = "Maria plans meals, weekly.", "Maria carefully plans all meals weekly!"
    segments = word_diff(before, after)
    assert "".join(s.text for s in segments if s.kind != "added") == before
    assert "".join(s.text for s in segments if s.kind != "removed") == after


def test_html_escapes_and_marks():
    html = to_html([Segment("removed", "<script>x</script>"), Segment("added", "a & b")])
    assert "<script>" not in html and "&lt;script&gt;" in html and "a &amp; b" in html
    assert html.startswith("<del") and "line-through" in html and "<ins" in html


def base() -> Persona:
    return Persona.model_validate(MARIA)


def test_identical_personas_have_no_changes():
    assert {c.status for c in field_changes(base(), base())} == {"unchanged"}


def test_scalar_change():
    refined = base().model_copy(update={"bio": "A new bio."})
    [bio] = [c for c in field_changes(base(), refined) if c.field == "bio"]
    assert bio.status == "changed" and bio.after == "A new bio." and bio.label == "Bio"


def test_inserted_claim_is_added_not_a_cascade():
    draft = base()
    refined = draft.model_copy(deep=True)
    refined.goals.insert(0, Claim(text="Never run out of nappies", evidence=[]))
    goals = [c for c in field_changes(draft, refined) if c.field == "goals"]
    assert [c.status for c in goals] == ["added", "unchanged"]
    assert goals[0].label == "Goal 1" and goals[1].label == "Goal 2"


def test_removed_and_edited_claims():
    draft = base()
    draft.pain_points.append(Claim(text="Delivery slots are always gone", evidence=[]))
    refined = draft.model_copy(deep=True)
    refined.pain_points = [Claim(text="Maria Planner loses time to app errors", evidence=[])]
    statuses = sorted(c.status for c in field_changes(draft, refined) if c.field == "pain_points")
    assert statuses == ["changed", "removed"]


def test_merge_takes_chosen_fields():
    draft = base()
    refined = draft.model_copy(update={"bio": "Refined bio.", "role": "Head nurse"}, deep=True)
    mixed = merge(draft, refined, {"bio": "draft"})
    assert mixed.bio == draft.bio and mixed.role == "Head nurse"
    assert merge(draft, refined, {}) == refined
