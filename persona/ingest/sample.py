"""The sample study shipped with Persona: three interviews about a grocery delivery app.

A newcomer can try Persona in one click before bringing files of their own. The interviews
are package data (``persona/samples/interviews``), so an installed Persona finds them as
well as a source checkout; ``samples/interviews`` holds the same files for the docs and
tests (a test keeps the two identical).
"""

from __future__ import annotations

from importlib.resources import files

SAMPLE_STUDY = "Sample study: grocery delivery interviews"
"""The study name runs of the sample are grouped under in History."""
SAMPLE_DESCRIPTION = "three interviews with customers of a grocery delivery app"


def sample_files() -> list[tuple[str, bytes]]:
    """The sample interviews as (file name, content), in name order."""
    folder = files("persona") / "samples" / "interviews"
    found = [entry for entry in folder.iterdir() if entry.is_file()]
    return [(entry.name, entry.read_bytes()) for entry in sorted(found, key=lambda e: e.name)]
