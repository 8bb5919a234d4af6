"""Findings shared out among persona calls: all of them, once each, every group within room."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from persona.generation.groups import share_out
from persona.generation.references import Finding


def finding(participant: str, statement: str, pid: str = "P1") -> Finding:
    return Finding(kind="goal", statement=statement, participant=participant, passages=[pid])


def cost(findings: Sequence[Finding]) -> int:
    """A stand-in prompt cost: a header plus one per word of each finding."""
    return 5 + sum(len(f.statement.split()) + 2 for f in findings)


def test_participants_who_say_alike_things_share_a_group() -> None:
    night = "night shifts early delivery slots before work"
    price = "price per kilo discount store weekly budget"
    findings = [
        finding("Maria", f"{night} one"),
        finding("Omar", f"{price} one"),
        finding("Tom", f"{night} two"),
        finding("Priya", f"{price} two"),
        finding("Maria", f"{night} three"),
    ]
    groups = share_out(findings, 2, room=100, cost=cost)
    who = sorted(sorted({f.participant for f in group}) for group in groups)
    assert who == [["Maria", "Tom"], ["Omar", "Priya"]]


def test_the_shares_stay_about_even() -> None:
    night = "night shifts early delivery slots before work"
    themes = {"Samuel": "price per kilo", "Omar": "thawed frozen food", "Maria": "allergy labels"}
    findings = [finding(who, f"{night} {who} {n}") for who in ("Tom", "Priya") for n in range(5)]
    findings += [finding(who, f"{theme} {n}") for who, theme in themes.items() for n in range(2)]
    groups = share_out(findings, 3, room=1000, cost=cost)
    # Tom and Priya say alike things, but together they would leave 4 and 2 for the others
    assert sorted(len(g) for g in groups) == [4, 5, 7]
    for group in groups:  # each participant's findings stay together
        assert all(sum(f.participant == who for f in group) in (0, 5) for who in ("Tom", "Priya"))


def test_a_participant_with_too_many_findings_for_one_group_is_split() -> None:
    findings = [finding("Maria", f"point number {n} about the app") for n in range(10)]
    groups = share_out(findings, 3, room=40, cost=cost)
    assert all(groups) and all(cost(g) <= 40 for g in groups)
    assert sorted(f.statement for g in groups for f in g) == sorted(f.statement for f in findings)


def test_fewer_findings_than_groups_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot share 1 findings out into 2 groups"):
        share_out([finding("Maria", "one")], 2, room=100, cost=cost)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Maria", "Tom", "", "R7", "Aiko", "maria"]),
            st.lists(
                st.sampled_from(["app", "price", "night", "slot", "kids", "fee", "label"]),
                min_size=1,
            ),
        ),
        min_size=1,
        max_size=30,
    ),
    st.integers(min_value=1, max_value=5),
    st.integers(min_value=0, max_value=30),
)
def test_every_finding_lands_once_in_a_group_that_fits(
    raw: list[tuple[str, list[str]]], groups: int, slack: int
) -> None:
    findings = [finding(who, " ".join(words), f"P{n}") for n, (who, words) in enumerate(raw)]
    if len(findings) < groups:
        return
    largest = max(cost([f]) - cost([]) for f in findings)
    # the precondition share_out documents: the total fits the groups less one finding each
    room = (cost(findings) - cost([])) // groups + cost([]) + largest + slack
    shared = share_out(findings, groups, room, cost)
    assert len(shared) == groups and all(shared)
    assert all(cost(group) <= room for group in shared)
    ids = [f.passages[0] for group in shared for f in group]
    assert sorted(ids) == sorted(f.passages[0] for f in findings)
    for group in shared:  # each group keeps the findings' order
        positions = [int(f.passages[0][1:]) for f in group]
        assert positions == sorted(positions)
