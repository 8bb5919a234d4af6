"""Naming a saved run: one rule (persona.api.runs.find_run) for every command that takes one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from persona.api.runs import find_run
from persona.cli.commands import main
from persona.cli.exits import EXIT_FAIL
from persona.core.errors import InputError
from persona.core.records import FileRef, Run
from persona.history.store import Store

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
IDS = [
    "aaaa1111bbbb2222cccc3333dddd4444",
    "aaaa5555bbbb6666cccc7777dddd8888",
    "f00dcafe00000000000000000000beef",
    "0123456789abcdef0123456789abcdef",
]


@pytest.fixture
def store() -> Store:
    """Four saved runs, the last of IDS the newest."""
    store = Store()
    for n, run_id in enumerate(IDS):
        store.save(
            Run(id=run_id, model="llama3.2:3b", study="Checkout", created_at=START + timedelta(n))
        )
    return store


@pytest.mark.parametrize(
    ("wanted", "found"),
    [
        (IDS[2], IDS[2]),
        ("f00d", IDS[2]),
        ("  f00dcafe ", IDS[2]),
        ("aaaa5", IDS[1]),
        ("latest", IDS[3]),
        ("LATEST", IDS[3]),
    ],
)
def test_a_run_is_found_by_id_start_or_latest(store: Store, wanted: str, found: str) -> None:
    assert find_run(wanted, store).id == found


def test_a_start_shared_by_several_runs_lists_them(store: Store) -> None:
    with pytest.raises(InputError) as raised:
        find_run("aaaa", store)
    message = str(raised.value)
    assert "2 runs start with 'aaaa': give more of the id" in message
    assert IDS[0][:8] in message and IDS[1][:8] in message and IDS[2][:8] not in message


def test_a_mistyped_id_names_the_close_one(store: Store) -> None:
    mistyped = IDS[2].replace("cafe", "cafa")
    with pytest.raises(InputError) as raised:
        find_run(mistyped, store)
    message = str(raised.value)
    assert f"No saved run with id {mistyped!r}. Did you mean {IDS[2][:8]}" in message
    assert "'latest' for the newest run" in message


@pytest.mark.parametrize("wanted", ["zzz", "", "   "])
def test_an_unknown_id_lists_the_newest_runs(store: Store, wanted: str) -> None:
    with pytest.raises(InputError) as raised:
        find_run(wanted, store)
    message = str(raised.value)
    assert f"No saved run with id {wanted.strip()!r}. Newest: {IDS[3][:8]}" in message
    newest_first = [message.index(run_id[:8]) for run_id in (IDS[3], IDS[2], IDS[1])]
    assert newest_first == sorted(newest_first)
    assert IDS[0][:8] not in message and "and 1 more" in message


def test_an_empty_history_says_to_generate_first() -> None:
    with pytest.raises(InputError, match="History is empty: generate personas first"):
        find_run("latest", Store())


@pytest.mark.parametrize(
    "command",
    [
        ["export", "aaaa"],
        ["resume", "aaaa"],
        ["chat", "aaaa", "1", "--ask", "hello"],
        ["edit", "aaaa", "1", "--name", "Ana"],
    ],
)
def test_every_command_names_runs_the_same_way(
    store: Store, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(command) == EXIT_FAIL
    err = capsys.readouterr().err
    assert "Error: 2 runs start with 'aaaa': give more of the id." in err
    assert IDS[0][:8] in err and IDS[1][:8] in err


@pytest.mark.parametrize(
    "command", [["export", "latst"], ["chat", "latst", "1"], ["edit", "latst", "1"]]
)
def test_every_command_says_what_to_type(
    store: Store, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(command) == EXIT_FAIL
    err = capsys.readouterr().err
    assert "No saved run with id 'latst'" in err
    assert "Type a run id (or its first characters), or 'latest' for the newest run." in err


def test_resume_says_where_the_files_went(capsys: pytest.CaptureFixture[str]) -> None:
    store = Store()
    run = Run(
        model="llama3.2:3b",
        study="Gone",
        files=[FileRef(name="interviews.md", sha256="ab" * 32, size_bytes=10, kind="md")],
        status="failed",
    )
    store.save(run)
    assert main(["resume", run.id[:6]]) == EXIT_FAIL
    err = capsys.readouterr().err
    assert f"The files of run {run.id} (interviews.md) are not in its study Gone" in err
    assert f"add them to the study, or give them again (`persona resume {run.id} FILES...`)" in err
