"""The dashboard's study helpers without a browser: which study is current, the name a new
study gets, and how a search hit's snippet is shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from persona import api
from persona.core.errors import InputError
from persona.dashboard.ui.search import marked
from persona.dashboard.ui.study import resolve, unused_name
from persona.dashboard.ui.study_files import Pending, new_study
from persona.dashboard.ui.uploads import Upload
from persona.history.study_search import Snippet


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


def test_a_suggested_name_another_session_took_becomes_the_next_free_one(
    data_dir: Path,
) -> None:
    reading = api.read_uploads([("notes.txt", b"Maria: the van came late again.\n")])
    files = [("notes.txt", b"Maria: the van came late again.\n")]
    api.create_study("Notes")  # made by another tab after this one suggested "Notes"
    suggested = Pending(Upload(reading, {}), None, "Notes", files, suggested="Notes")
    assert new_study(suggested) == "Notes (2)"
    typed = Pending(Upload(reading, {}), None, "Notes", files)  # the researcher typed it
    with pytest.raises(InputError, match="already exists"):
        new_study(typed)
    assert sorted(s.name for s in api.studies()) == ["Notes", "Notes (2)"]
