"""Readable diffs: word-level track changes, aligned field table, per-field merge."""

from __future__ import annotations

import html as html_lib
from itertools import pairwise

import pytest

from persona.core.diff import (
    CHOOSABLE_FIELDS,
    Segment,
    field_changes,
    field_choices,
    merge,
    to_html,
    word_diff,
)
from persona.core.schema import Claim, Evidence, Persona
from tests.fakes import MARIA


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("a calm week", "a calm week", [("same", "a calm week")]),
        ("a week", "a calm week", [("same", "a "), ("added", "calm "), ("same", "week")]),
        ("a calm week", "a week", [("same", "a "), ("removed", "calm "), ("same", "week")]),
        ("I like cats", "I like cats a lot", [("same", "I like cats"), ("added", " a lot")]),
        (
            "I like cats",
            "We like cats",
            [("removed", "I"), ("added", "We"), ("same", " like cats")],
        ),
        (
            "plans on Sunday.",
            "plans on Monday.",
            [("same", "plans on "), ("removed", "Sunday"), ("added", "Monday"), ("same", ".")],
        ),
        (
            "the cat sat on the mat",
            "a dog ran on the mat",
            [("removed", "the cat sat"), ("added", "a dog ran"), ("same", " on the mat")],
        ),
        ("Hello world", "Hello, world", [("same", "Hello"), ("added", ","), ("same", " world")]),
        ("a  b", "a b", [("same", "a b")]),
        ("", "new", [("added", "new")]),
        ("old", "", [("removed", "old")]),
        ("", "", []),
    ],
)
def test_word_diff(before, after, expected):
    assert [(s.kind, s.text) for s in word_diff(before, after)] == expected


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("Maria plans meals, weekly.", "Maria carefully plans all meals weekly!"),
        ("one two three four", "one 2 three 4"),
        ("Line one.\nLine two.", "Line one.\nLine 2, changed."),
        ("", "Only new text."),
        ("Tabs\tand  spaces", "Tabs\tand  more spaces"),
    ],
)
def test_word_diff_rebuilds_both_sides(before, after):
    segments = word_diff(before, after)
    assert "".join(s.text for s in segments if s.kind != "added") == before
    assert "".join(s.text for s in segments if s.kind != "removed") == after
    assert all(a.kind != b.kind for a, b in pairwise(segments))


def test_html_escapes_and_marks():
    html = to_html([Segment("removed", "<script>x</script>"), Segment("added", "a & b")])
    assert "<script>" not in html and "&#60;script&#62;" in html and "a &#38; b" in html
    assert html == (
        '<del style="color:#b42318;background:#fee4e2;text-decoration:line-through">'
        "&#60;script&#62;x&#60;&#47;script&#62;</del>"
        '<ins style="color:#067647;background:#dcfae6;text-decoration:none">a &#38; b</ins>'
    )


def test_html_is_also_inert_as_markdown():
    """The diff is rendered with Markdown on: a Markdown image or link in it stays text."""
    html = to_html([Segment("added", "![](http://127.0.0.2/x.png) [a](http://b) :red[x]")])
    assert "![" not in html and "](" not in html and ":red[" not in html
    assert html_lib.unescape(html.split(">", 1)[1].rsplit("<", 1)[0]) == (
        "![](http://127.0.0.2/x.png) [a](http://b) :red[x]"
    )


@pytest.mark.parametrize(
    ("before", "after", "forbidden"),
    [
        ("safe", '<img src=x onerror="alert(1)">', "<img"),
        ("<b>bold</b>", "plain", "<b>"),
        ("x", "</ins><script>alert(1)</script>", "<script>"),
        ("same <i>tag</i>", "same <i>tag</i>", "<i>"),
        ("it's", '"quoted"', '"quoted"'),
    ],
)
def test_html_of_a_diff_never_contains_raw_markup(before, after, forbidden):
    assert forbidden not in to_html(word_diff(before, after))


def test_html_keeps_line_breaks():
    assert to_html([Segment("same", "a\nb")]) == "a<br>b"


def base() -> Persona:
    return Persona.model_validate(MARIA)


def claim(text: str) -> Claim:
    return Claim(text=text, evidence=[Evidence(quote=f"I said: {text.lower()}")])


def with_goals(*texts: str) -> Persona:
    return base().model_copy(update={"goals": [claim(t) for t in texts]}, deep=True)


def goal_rows(draft: Persona, refined: Persona) -> list[tuple[str, str]]:
    return [(c.label, c.status) for c in field_changes(draft, refined) if c.field == "goals"]


def test_identical_personas_have_no_changes():
    changes = field_changes(base(), base())
    assert {c.status for c in changes} == {"unchanged"}
    assert [c.label for c in changes[:5]] == ["Name", "Age", "Role", "Bio", "Quote"]
    assert changes[-1].label == "Participants"


@pytest.mark.parametrize(
    ("update", "field", "label"),
    [
        ({"bio": "A new bio."}, "bio", "Bio"),
        ({"name": "Maria Calm"}, "name", "Name"),
        ({"quote": Evidence(quote="A different quote")}, "quote", "Quote"),
        ({"participants": ["Maria", "Ana"]}, "participants", "Participants"),
    ],
)
def test_scalar_change(update, field, label):
    refined = base().model_copy(update=update)
    [row] = [c for c in field_changes(base(), refined) if c.field == field]
    assert (row.label, row.status) == (label, "changed")
    assert row.before != row.after


@pytest.mark.parametrize(
    ("draft", "refined", "expected"),
    [
        (
            ["Calm weeks", "Cheap food", "Fast checkout"],
            ["Never run out of nappies", "Calm weeks", "Cheap food", "Fast checkout"],
            [
                ("Goal 1", "added"),
                ("Goal 2", "unchanged"),
                ("Goal 3", "unchanged"),
                ("Goal 4", "unchanged"),
            ],
        ),
        (
            ["Calm weeks", "Cheap food", "Fast checkout"],
            ["Calm weeks", "Fast checkout"],
            [("Goal 1", "unchanged"), ("Goal 2", "removed"), ("Goal 2", "unchanged")],
        ),
        (
            ["Calm weeks", "Cheap food"],
            ["Calm and predictable weeks", "Cheap food"],
            [("Goal 1", "changed"), ("Goal 2", "unchanged")],
        ),
        (
            ["Calm weeks"],
            ["Save money on every order"],
            [("Goal 1", "removed"), ("Goal 1", "added")],
        ),
    ],
)
def test_claims_are_aligned_by_similarity(draft, refined, expected):
    assert goal_rows(with_goals(*draft), with_goals(*refined)) == expected


def test_claim_rows_show_statement_and_quotes():
    draft, refined = with_goals("Calm weeks"), with_goals("Calm weeks", "Cheap food")
    added = [c for c in field_changes(draft, refined) if c.status == "added"]
    assert [(c.before, c.after) for c in added] == [("", "Cheap food — “I said: cheap food”")]


def test_other_sections_are_labelled():
    draft = base()
    refined = draft.model_copy(deep=True)
    refined.pain_points.append(claim("Slots are always gone"))
    refined.motivations.append(claim("Time with the kids"))
    rows = {(c.label, c.status) for c in field_changes(draft, refined) if c.status != "unchanged"}
    assert rows == {("Pain point 2", "added"), ("Motivation 1", "added")}


def test_merge_takes_chosen_fields():
    draft = base()
    refined = with_goals("Refined goal").model_copy(update={"bio": "Refined bio.", "role": "Head"})
    mixed = merge(draft, refined, {"bio": "draft", "goals": "draft", "role": "refined"})
    assert (mixed.bio, mixed.role, mixed.goals) == (draft.bio, "Head", draft.goals)
    assert merge(draft, refined, {}) == refined
    assert merge(draft, refined, dict.fromkeys(Persona.model_fields, "draft")) == draft


def test_merge_returns_an_independent_copy():
    draft, refined = base(), with_goals("Refined goal")
    mixed = merge(draft, refined, {"goals": "draft"})
    mixed.goals[0].text = "edited"
    assert draft.goals[0].text != "edited"


@pytest.mark.parametrize("choices", [{"colour": "draft"}, {"bio": "mine"}])
def test_merge_rejects_unknown_choices(choices):
    with pytest.raises(ValueError):
        merge(base(), base(), choices)


def test_every_choosable_field_is_a_persona_field_with_a_label():
    assert set(CHOOSABLE_FIELDS) <= set(Persona.model_fields)
    assert CHOOSABLE_FIELDS["pain_points"] == "Pain points"
    full = base().model_copy(update={"motivations": base().goals})
    shown = {c.field for c in field_changes(full, full)}
    assert set(CHOOSABLE_FIELDS) == shown, "the fields a user can pick are the fields diffed"


def test_field_choices_take_the_rest_from_the_draft():
    choices = field_choices(["bio", "goals"])
    assert set(choices) == set(CHOOSABLE_FIELDS)
    assert {f for f, v in choices.items() if v == "refined"} == {"bio", "goals"}
    draft = base()
    refined = with_goals("Refined goal").model_copy(update={"bio": "Refined bio.", "role": "Head"})
    mixed = merge(draft, refined, choices)
    assert (mixed.bio, mixed.goals, mixed.role) == (refined.bio, refined.goals, draft.role)
    with pytest.raises(ValueError, match="unusable"):
        field_choices(["unusable"])
