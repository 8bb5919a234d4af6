"""Removing files from a study, or the whole study: only after a confirmation that says the
copies in Persona's data folder are deleted (the researcher's originals never are)."""

from __future__ import annotations

from functools import partial

import streamlit as st

from persona import api
from persona.core.errors import PersonaError
from persona.dashboard.ui.errors import show_error
from persona.dashboard.ui.resources import store
from persona.dashboard.ui.study import choose_study
from persona.dashboard.ui.study_files import DONE
from persona.dashboard.ui.text import safe, safe_line
from persona.types import Reading


def manage_files(study: str, reading: Reading, *, key: str) -> None:
    """The study's files with a way to remove some (after a confirmation that says their
    copies are deleted) and to delete the whole study."""
    names = [r.name for r in reading.reports]
    confirm = f"{key}_confirm_remove"
    gone = st.multiselect(
        "Files to remove from the study", names, key=f"{key}_remove_pick", placeholder="Files"
    )
    if st.button(
        "Remove from the study…",
        key=f"{key}_remove",
        disabled=not gone,
        icon=":material/delete:",
    ):
        st.session_state[confirm] = list(gone)
    pending = [n for n in st.session_state.get(confirm, []) if n in names]
    if pending:
        with st.container(border=True):
            st.warning(
                f"Remove {len(pending)} file(s) from “{safe_line(study)}”? Their copies in "
                "Persona's data folder are deleted (your originals are not touched). Runs "
                "already made from them stay in History.",
                icon=":material/warning:",
            )
            st.markdown("\n".join(f"- {safe_line(n)}" for n in pending))
            yes, no = st.columns(2)
            if yes.button(f"Yes, remove {len(pending)} file(s)", type="primary", key=f"{key}_yes"):
                try:
                    api.remove_from_study(study, pending, store=store())
                except PersonaError as exc:
                    show_error(exc)
                else:
                    st.session_state[DONE] = f"Removed {len(pending)} file(s) and their copies."
                    st.session_state[confirm] = []
                    st.rerun()
            no.button("Cancel", key=f"{key}_no", on_click=partial(st.session_state.pop, confirm))
    delete_study(study, key=key)


def delete_study(study: str, *, key: str) -> None:
    """Delete the whole study, after a confirmation."""
    confirm = f"{key}_confirm_delete"
    if st.button("Delete this study…", key=f"{key}_delete", icon=":material/folder_delete:"):
        st.session_state[confirm] = study
    if st.session_state.get(confirm) != study:
        return
    with st.container(border=True):
        st.warning(
            f"Delete the study “{safe_line(study)}” and the copies of its files in Persona's "
            "data folder? Your originals are not touched; its runs stay in History, without "
            "a study. This cannot be undone.",
            icon=":material/warning:",
        )
        yes, no = st.columns(2)
        if yes.button("Yes, delete the study", type="primary", key=f"{key}_delete_yes"):
            try:
                api.delete_study(study, store=store())
            except PersonaError as exc:
                show_error(exc)
            else:
                st.session_state[DONE] = f"Deleted the study “{safe(study)}”."
                st.session_state.pop(confirm, None)
                choose_study(None)
                st.rerun()
        no.button("Cancel", key=f"{key}_delete_no", on_click=partial(st.session_state.pop, confirm))
