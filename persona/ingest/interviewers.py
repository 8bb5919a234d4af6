"""Who the interviewer of each meeting transcript is: the user's choices, checked against
the speakers read, and saved with a run so its files read the same way again."""

from __future__ import annotations

from collections.abc import Mapping

from persona.core.errors import InputError
from persona.ingest.report import Reading
from persona.ingest.transcripts import same_speaker

Interviewers = Mapping[str, str]
"""File name → the speaker who is the interviewer of that transcript ("" for nobody); the key
``*`` applies to every transcript that has such a speaker. Left out: detected."""


def interviewer_for(interviewers: Interviewers | None, name: str) -> str | None:
    """The interviewer chosen for file ``name`` (its own, else the one for every file)."""
    if not interviewers:
        return None
    return interviewers.get(name, interviewers.get("*"))


def interviewers_of(reading: Reading) -> dict[str, str]:
    """The interviewer of every transcript read ("" for nobody), by file name: saved with a
    run (``Run.options["interviewers"]``) so its files can be read the same way again."""
    return {r.name: r.interviewer for r in reading.reports if r.ok and r.speakers}


def check_interviewers(reading: Reading, interviewers: Interviewers | None) -> None:
    """Raise InputError, naming the speakers, when an interviewer chosen for a file read is
    not one of its speakers, or the one for every file (``*``) is a speaker of none."""
    wanted = {name: who for name, who in (interviewers or {}).items() if who.strip()}
    transcripts = [r for r in reading.reports if r.ok and r.speakers]
    read = {r.name for r in reading.reports if r.ok}
    for name, who in wanted.items():
        files = transcripts if name == "*" else [r for r in transcripts if r.name == name]
        if any(same_speaker(who, s) for r in files for s in r.speakers) or (
            name != "*" and name not in read  # a file not read this time (or not read at all)
        ):
            continue
        if not files:
            where = "these files" if name == "*" else name
            raise InputError(
                f"No meeting transcript with speakers among {where}, so {who!r} cannot be the "
                "interviewer. Choose an interviewer only for .vtt, .srt or timestamped .txt "
                "transcripts."
            )
        names = "; ".join(f"{r.name}: {', '.join(r.speakers)}" for r in files)
        raise InputError(
            f"{who!r} is not a speaker in {'these transcripts' if name == '*' else name}. "
            f'The speakers are {names}. Give one of these names exactly, or "nobody".'
        )
