"""The current study: chosen once at the top of every page, kept while pages change and
across reloads (the address carries it as ``?study=NAME``).

Pages read it with :func:`current_study` and change it with :func:`choose_study`. The study
itself (its files, readings and runs) lives in persona (``api.study`` and friends).
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from persona import api
from persona.core.errors import PersonaError
from persona.dashboard.ui.errors import show_error
from persona.dashboard.ui.resources import store

CURRENT = "current_study"
"""Session state: the name of the current study ("" or missing: none chosen)."""
PICK = "current_study_pick"
"""Session state of the picker widget (kept in step with :data:`CURRENT`)."""
PARAM = "study"
"""The query parameter that carries the current study across reloads."""
NONE_LABEL = "No study chosen"


def resolve(wanted: str | None, names: Sequence[str]) -> str | None:
    """The study to show as current: ``wanted`` when it (still) exists, else none. A name is
    matched as typed, then ignoring case and spacing (an address typed by hand)."""
    if not wanted:
        return None
    if wanted in names:
        return wanted
    folded = " ".join(wanted.split()).casefold()
    return next((n for n in names if " ".join(n.split()).casefold() == folded), None)


def unused_name(name: str, names: Sequence[str]) -> str:
    """``name``, or ``name (2)``, ``name (3)``... when a study is called that already
    (capitals ignored, as studies are)."""
    taken = {n.casefold() for n in names}
    candidate, number = name, 1
    while candidate.casefold() in taken:
        number += 1
        candidate = f"{name} ({number})"
    return candidate


def study_names() -> list[str]:
    """Every study on this machine, the most recently used first."""
    return [s.name for s in api.studies(store=store())]


def current_study() -> str | None:
    """The current study's name, or None when none is chosen."""
    name = st.session_state.get(CURRENT)
    return str(name) if name else None


def ask_for_study() -> None:
    """No study is chosen: say where to choose or create one."""
    st.info(
        "No study is chosen. Pick one at the top of the page, or create one by uploading "
        "your research files on Generate: they are kept, so every page can use them.",
        icon=":material/folder_open:",
    )
    st.page_link("pages/generate.py", label="Upload files on Generate", icon=":material/upload:")


def choose_study(name: str | None) -> None:
    """Make ``name`` the current study (None: none). The picker follows on the next run:
    call ``st.rerun()`` after it when the bar is already drawn."""
    st.session_state[CURRENT] = name or ""


def _picked() -> None:
    choose_study(st.session_state.get(PICK))


def study_bar() -> str | None:
    """The current-study picker, drawn at the top of every page; returns the current study.

    On a new session the study comes from the address (``?study=``), so a reload or a
    bookmark opens the same study; a study that was deleted meanwhile is forgotten."""
    try:
        names = study_names()
    except PersonaError as exc:
        show_error(exc)
        return None
    if CURRENT not in st.session_state:
        choose_study(resolve(st.query_params.get(PARAM), names))
    current = resolve(current_study(), names)
    choose_study(current)
    st.session_state[PICK] = current  # before the widget is drawn: follows choose_study
    left, right = st.columns([2, 3], vertical_alignment="bottom")
    left.selectbox(
        "Current study",
        [None, *names],
        format_func=lambda name: NONE_LABEL if name is None else name,
        placeholder=NONE_LABEL,  # None as the value shows the placeholder, not format_func
        key=PICK,
        on_change=_picked,
        help="Every page works on this study: its files are kept on this machine, so they "
        "are uploaded once. Create one by uploading files on Generate.",
    )
    with right:
        if current:
            st.page_link(
                "pages/study.py",
                label="Files and search of this study",
                icon=":material/folder_open:",
            )
        else:
            st.caption("Upload files on Generate to create a study, or pick one.")
    if (st.query_params.get(PARAM) or None) != current:
        if current:
            st.query_params[PARAM] = current
        else:
            st.query_params.pop(PARAM, None)
    return current
