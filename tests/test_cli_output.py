"""The terminal helpers every command shares: the aligned table and the yes/no question."""

from __future__ import annotations

import io

import pytest

from persona.cli.prompt import ask_yes
from persona.cli.tables import print_table
from persona.core.errors import InputError


def test_columns_line_up_and_trailing_space_is_dropped(capsys: pytest.CaptureFixture[str]) -> None:
    print_table([("NAME", "SIZE"), ("llama3.2:3b", "2.0 GB"), ("qwen", "")])
    assert capsys.readouterr().out.splitlines() == [
        "NAME         SIZE",
        "llama3.2:3b  2.0 GB",
        "qwen",
    ]


def test_capped_columns_end_in_an_ellipsis(capsys: pytest.CaptureFixture[str]) -> None:
    rows = [("COLUMN", "SAMPLE"), ("Q5", "x" * 12), ("a-very-long-name", "short")]
    print_table(rows, widest=(6, 8), indent="  ")
    assert capsys.readouterr().out.splitlines() == [
        "  COLUMN  SAMPLE",
        "  Q5      xxxxxxx…",
        "  a-ver…  short",
    ]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("typed", "yes"), [("y\n", True), (" YES \n", True), ("n\n", False), ("\n", False)]
)
def test_only_y_or_yes_is_yes(monkeypatch: pytest.MonkeyPatch, typed: str, yes: bool) -> None:
    monkeypatch.setattr("sys.stdin", Terminal(typed))
    assert ask_yes("Delete? [y/N] ", unattended="Add --yes.") is yes


def test_no_answer_at_all_is_no(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", Terminal(""))  # Ctrl-D
    assert ask_yes("Send? [y/N] ", unattended="Add --yes.") is False


def test_without_a_terminal_it_says_how_to_go_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))  # a pipe: nobody to ask
    with pytest.raises(InputError, match="Add --yes to send"):
        ask_yes("Send? [y/N] ", unattended="Add --yes to send.")
    assert ask_yes("Delete? [y/N] ") is True  # a question without that rule reads the pipe
