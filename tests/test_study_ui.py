"""The dashboard's study helpers without a browser: which study is current, the name a new
study gets, and how a search hit's snippet is shown."""

from __future__ import annotations

import pytest

from pages.ui.search import marked
from pages.ui.study import resolve, unused_name
from persona.history.studies import Snippet


@pytest.mark.parametrize(
    ("wanted", "names", "current"),
    [
        ("Banking app", ["Shoe shop", "Banking app"], "Banking app"),
        ("banking  APP", ["Shoe shop", "Banking app"], "Banking app"),  # typed by hand
        ("Deleted study", ["Shoe shop"], None),  # gone since the address was saved
        ("", ["Shoe shop"], None),
        (None, ["Shoe shop"], None),
        ("Shoe shop", [], None),
    ],
)
def test_the_current_study_is_one_that_exists(
    wanted: str | None, names: list[str], current: str | None
) -> None:
    assert resolve(wanted, names) == current


@pytest.mark.parametrize(
    ("name", "names", "expected"),
    [
        ("Interviews", [], "Interviews"),
        ("Interviews", ["interviews"], "Interviews (2)"),
        ("Interviews", ["Interviews", "Interviews (2)"], "Interviews (3)"),
        ("Interviews", ["Interviews (2)"], "Interviews"),
    ],
)
def test_a_new_study_never_takes_an_existing_name(
    name: str, names: list[str], expected: str
) -> None:
    assert unused_name(name, names) == expected


def test_a_snippet_shows_research_text_as_text_with_the_matches_highlighted() -> None:
    shown = marked(
        (
            Snippet("see ![x](http://evil.example/a.png) and <b>", False),
            Snippet("substitutions", True),
            Snippet(" [click](http://evil.example)\nnext line", False),
        )
    )
    assert ":orange-background[substitutions]" in shown
    assert "](http" not in shown and "<b>" not in shown
    assert "\n" not in shown  # one paragraph: a snippet's line breaks are spaces
    assert shown.count(":orange-background[") == 1
