"""Asking the user yes or no in the terminal, before anything that cannot be undone."""

from __future__ import annotations

import sys

from persona.core.errors import InputError


def ask_yes(question: str, *, unattended: str | None = None) -> bool:
    """True only when the user answers y or yes (any case); no answer (Ctrl-D) is no.

    With ``unattended``, a run without a terminal to answer (a script, a pipe) raises
    :class:`InputError` with that message (saying how to go ahead without being asked)
    instead of waiting for an answer nobody can give."""
    if unattended is not None and not sys.stdin.isatty():
        raise InputError(unattended)
    try:
        return input(question).strip().casefold() in ("y", "yes")
    except EOFError:
        return False
