"""Paths a person types: ``~`` expanded; a ``~name`` that is no user is a message, not a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from persona import api
from persona.core.errors import InputError
from persona.core.paths import typed_path

NO_USER = "~no-such-user-here-7"


def test_a_tilde_is_the_home_folder() -> None:
    assert typed_path("~/interviews") == Path.home() / "interviews"


def test_a_tilde_name_that_is_no_user_says_what_to_write() -> None:
    with pytest.raises(InputError, match="not a user of this computer; write the full path"):
        typed_path(f"{NO_USER}/interviews")


def test_adding_such_a_path_to_a_study_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no-such-user-here-7 is not a user"):
        api.add_to_study("Pilot", [f"{NO_USER}/interviews"])
