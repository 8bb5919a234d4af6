"""The engine in use, seen from the pages: links to Settings, the demo offer, status lines."""

from __future__ import annotations

import streamlit as st

from persona.dashboard.ui.builtin_install import builtin_missing
from persona.dashboard.ui.resources import ENGINE_CHOICE, refresh
from persona.types import DEMO_NOTE

SETTINGS_PAGE = "pages/settings.py"


def settings_link(label: str = "Open the Settings page") -> None:
    st.page_link(SETTINGS_PAGE, label=label, icon=":material/settings:")


def offer_demo(*, key: str) -> None:
    """Offer the built-in demo model for this session, when Ollama is not there (or how to
    get a model, when the built-in engine is not installed either)."""
    if builtin_missing(key=key):
        return
    st.info(
        f"**Try it now with the built-in demo model** — {DEMO_NOTE}. It runs inside Persona: "
        "nothing to install, nothing leaves this machine.",
        icon=":material/rocket_launch:",
    )
    if st.button("Use the built-in demo model", key=key, icon=":material/play_arrow:"):
        st.session_state[ENGINE_CHOICE] = "builtin"
        refresh()
        st.rerun()
