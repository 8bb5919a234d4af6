"""The role each column of a survey table plays, and the user's choices of roles and sheets.

Roles (what each means: :mod:`persona.ingest.columns`) are suggested by
:func:`persona.ingest.columns.suggest_role`; the user changes them in the dashboard or with
``--columns`` on the command line (:func:`parse_roles`). A :class:`TableChoice` is saved with
a run and a study, so a file reads the same way again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from persona.core.errors import InputError

ColumnRole = Literal["answer", "id", "private", "context", "ignore"]
ROLES: tuple[ColumnRole, ...] = get_args(ColumnRole)
ROLE_LABELS: dict[ColumnRole, str] = {
    "answer": "Free-text answer (quoted)",
    "id": "Respondent ID",
    "private": "Identifier: never sent to a model",
    "context": "About the respondent (never quoted)",
    "ignore": "Ignore",
}
_ROLE_ALIASES: dict[str, ColumnRole] = {
    "text": "answer",
    "quote": "answer",
    "respondent": "id",
    "identifier": "private",
    "personal": "private",
    "name": "private",
    "pii": "private",
    "skip": "ignore",
}
"""Other words accepted for a role on the command line."""


@dataclass(frozen=True)
class TableChoice:
    """What the user chose for a file: which sheets to read, and column roles by key."""

    sheets: tuple[str, ...] | None = None
    """Sheet names to read; None reads every sheet."""
    roles: Mapping[str, ColumnRole] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"sheets": list(self.sheets) if self.sheets else None, "roles": dict(self.roles)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TableChoice:
        sheets = data.get("sheets")
        roles = {str(k): role_named(str(v)) for k, v in (data.get("roles") or {}).items()}
        return cls(tuple(sheets) if sheets else None, roles)


Choices = Mapping[str, TableChoice]
"""File name → the user's choice for it; the key ``*`` applies to every file."""


def choice_for(choices: Choices | None, name: str) -> TableChoice | None:
    """The choice for file ``name``: its own, merged over the one for every file (``*``)."""
    if not choices:
        return None
    common, own = choices.get("*"), choices.get(name)
    if common is None or own is None:
        return own or common
    return TableChoice(own.sheets or common.sheets, {**common.roles, **own.roles})


def choices_to_options(choices: Choices | None) -> dict[str, Any]:
    """The choices as saved with a run (``Run.options["columns"]``)."""
    return {name: choice.to_dict() for name, choice in (choices or {}).items()}


def choices_from_options(options: Mapping[str, Any]) -> dict[str, TableChoice]:
    """The choices saved with a run (see :func:`choices_to_options`)."""
    saved = options.get("columns") or {}
    return {str(name): TableChoice.from_dict(data) for name, data in saved.items()}


def parse_roles(spec: str) -> dict[str, ColumnRole]:
    """``"Q5=answer,ResponseId=id"`` → roles by column key (as given on the command line)."""
    roles: dict[str, ColumnRole] = {}
    for item in filter(None, (part.strip() for part in _split_spec(spec))):
        key, sep, role = item.rpartition("=")
        if not sep or not key.strip():
            raise InputError(
                f"--columns: {item!r} is not COLUMN=ROLE. Write e.g. "
                '--columns "Q5=answer,ResponseId=id,Age=context,StartDate=ignore".'
            )
        roles[key.strip()] = role_named(role.strip())
    return roles


def _split_spec(spec: str) -> list[str]:
    """Split at commas that start a new ``KEY=`` item (a column name may contain commas)."""
    parts: list[str] = []
    for piece in spec.split(","):
        if parts and ("=" not in piece or "=" not in parts[-1]):
            parts[-1] += "," + piece
        else:
            parts.append(piece)
    return parts


def role_named(text: str) -> ColumnRole:
    role = _ROLE_ALIASES.get(text.lower(), text.lower())
    for known in ROLES:
        if role == known:
            return known
    raise InputError(
        f"Unknown column role {text!r}: use one of {', '.join(ROLES)} (answer = quoted free "
        "text, id = respondent ID, private = a name or other identifier that is never sent "
        "to a model, context = about the respondent, ignore = leave out)."
    )
