"""Paths as a person types them: ``~`` and ``~user`` expanded, and a clear message when a
``~name`` is no user of this computer (Python raises a bare RuntimeError there)."""

from __future__ import annotations

from pathlib import Path

from persona.core.errors import InputError


def typed_path(text: str | Path) -> Path:
    """``text`` as a path, its leading ``~`` expanded; InputError saying what to write when
    ``~name`` names no user of this computer."""
    try:
        return Path(text).expanduser()
    except RuntimeError as exc:  # "Could not determine home directory."
        raise InputError(
            f"{text}: {str(text).split('/')[0]} is not a user of this computer; write the full "
            "path, or ~ for your own home folder."
        ) from exc
