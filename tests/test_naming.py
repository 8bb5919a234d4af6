"""Persona names told apart where they label columns and pickers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from persona.core.naming import distinct_names


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["Anna Berg", "Anna Berg"], ["Anna Berg", "Anna Berg (2)"]),
        (["Anna Berg", "anna  berg", "Anna Berg"], ["Anna Berg", "anna berg (2)", "Anna Berg (3)"]),
        (["Anna", "Anna", "Anna (2)"], ["Anna", "Anna (3)", "Anna (2)"]),
        (["Anna", "Anna (2)", "Anna"], ["Anna", "Anna (2)", "Anna (3)"]),
        (["", "  "], ["Persona 1", "Persona 2"]),
        (["Ben", "Cleo"], ["Ben", "Cleo"]),
    ],
)
def test_repeated_names_are_numbered(names: list[str], expected: list[str]) -> None:
    assert distinct_names(names) == expected


@given(st.lists(st.sampled_from(["Anna", "anna", "Anna (2)", "Ben", "", "Ben (3)"]), max_size=12))
def test_names_are_always_distinct_and_keep_their_order(names: list[str]) -> None:
    labels = distinct_names(names)
    assert len(labels) == len(names)
    assert len({label.casefold() for label in labels}) == len(labels)
    for name, label in zip(names, labels, strict=True):
        assert label.startswith(name.strip() or "Persona ")
