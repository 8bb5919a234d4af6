"""Hybrid choice: keep Claude's version, the draft, or some fields of each, in History."""

from __future__ import annotations

import streamlit as st

from persona.api.edits import field_choices
from persona.api.hybrid import choose
from persona.api.runs import run_passages
from persona.core.errors import PersonaError
from persona.dashboard.ui.errors import show_error
from persona.dashboard.ui.resources import store
from persona.types import CHOOSABLE_FIELDS, Kept, Reading, Run, Version

OPTIONS: dict[str, Kept] = {
    "Refined version": "refined",
    "Draft": "draft",
    "Pick per field": "fields",
}


def choose_version(run: Run, index: int, reading: Reading | None) -> None:
    """The Keep choice of persona ``index`` and its Save button (exports use what is kept)."""
    record = run.records[index]
    labels = list(OPTIONS)
    shown = next(label for label, value in OPTIONS.items() if value == record.kept)
    pick = st.radio(
        "Keep", labels, index=labels.index(shown), horizontal=True, key=f"hy_pick_{index}"
    )
    wanted = OPTIONS[pick or shown]
    choice: Version | dict[str, Version] = "refined" if wanted == "fields" else wanted
    if wanted == "fields":
        taken = st.multiselect(
            "Fields to take from Claude's version (the rest stay as drafted)",
            list(CHOOSABLE_FIELDS),
            default=[f for f, v in record.choices.items() if v == "refined"]
            or list(CHOOSABLE_FIELDS),
            format_func=lambda field: CHOOSABLE_FIELDS[field],
            key=f"hy_fields_{index}",
        )
        choice = field_choices(taken)
    if st.button("Save this choice", key=f"hy_save_{index}"):
        try:
            choose(run, index, choice, store(), passages=run_passages(run, reading))
            st.success("Saved to History; exports use this version.", icon=":material/save:")
        except PersonaError as exc:
            show_error(exc)
