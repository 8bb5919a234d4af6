"""A run's warnings grouped: one line per kind with a count, the details kept apart."""

from __future__ import annotations

import io

from persona.cli.terminal import print_warnings
from persona.core.run_warnings import (
    SHORT_LINE,
    group_warnings,
    join_warnings,
    short_status,
    split_warnings,
)

TRIMS = (
    "Trimmed over-long text: age was 412 characters; trimmed to 40; "
    "bio was 2,310 characters; trimmed to 600"
)
RETRY = "Trimmed over-long text: age was 97 characters; trimmed to 40"
UNUSABLE = "P05-parent.md is marked unusable: its goal is a number; its name is a file name."
ALSO_UNUSABLE = "Sofia is marked unusable: its bio is a participant's name."
DROPPED = (
    "Dropped 4 citation(s) of passages that do not exist or are not what a participant said "
    "(headings, the interviewer's questions)."
)
FEWER = "The model wrote 0 usable persona(s) of the 3 asked."


def test_each_kind_is_one_line_with_a_count() -> None:
    groups = group_warnings([TRIMS, DROPPED, RETRY, UNUSABLE, ALSO_UNUSABLE, TRIMS, FEWER])
    lines = [g.line for g in groups]
    assert lines == [
        "3 over-long ages trimmed",
        "2 over-long bios trimmed",
        "4 citations of passages that do not exist, or are not a participant's words, dropped",
        "2 personas marked unusable",
        FEWER,
    ]
    ages = groups[0]
    assert ages.details == [
        "age was 412 characters; trimmed to 40",
        "age was 97 characters; trimmed to 40",
    ]  # the retry's repeat of the same trim is one detail
    assert groups[3].details == [UNUSABLE, ALSO_UNUSABLE]


def test_an_unknown_warning_repeated_is_counted_once() -> None:
    odd = "The engine said something new."
    [group] = group_warnings([odd, odd, " The engine  said something new. "])
    assert group.line == f"{odd} (×3)" and group.details == [odd]


def test_one_item_reads_in_the_singular() -> None:
    [group] = group_warnings([RETRY])
    assert group.line == "1 over-long age trimmed"


def test_the_export_status_is_short_however_long_the_wall() -> None:
    wall = [TRIMS, DROPPED, UNUSABLE] * 8 + ["x" * 2000]
    status = short_status("partial", join_warnings(wall))
    assert status.startswith("partial — 8 over-long ages trimmed; 8 over-long bios trimmed")
    assert "8 personas marked unusable" in status
    assert len(status) < 400 + SHORT_LINE
    assert short_status("complete", "") == "complete"


def test_a_message_of_an_older_run_is_split_into_its_warnings() -> None:
    old = " ".join([TRIMS, FEWER, DROPPED])
    assert split_warnings(old) == [TRIMS, FEWER, DROPPED]
    assert split_warnings(join_warnings([TRIMS, "", FEWER])) == [TRIMS, FEWER]


def test_the_terminal_prints_one_line_per_kind() -> None:
    out = io.StringIO()
    print_warnings([TRIMS, RETRY, TRIMS, FEWER, FEWER], out)
    assert out.getvalue().splitlines() == [
        "Warning: 3 over-long ages trimmed",
        "Warning: 2 over-long bios trimmed",
        f"Warning: {FEWER} (×2)",
        "The details of each warning are with the run in History.",
    ]
