"""Persona dashboard: the script ``persona ui`` runs with Streamlit."""

from pathlib import Path

import streamlit as st

from persona.dashboard.ui.guard import run_guarded
from persona.dashboard.ui.memory import watch_session
from persona.dashboard.ui.study import study_bar

# A local file: an emoji or ``:material/...:`` page icon makes the browser fetch it from
# Google's servers, and the dashboard asks no host but itself for anything. (A comment, not a
# string: Streamlit's magic would show a bare string on every page.)
ICON = Path(__file__).parent / "assets" / "persona-icon.png"

st.set_page_config(page_title="Persona", page_icon=str(ICON), layout="wide")
watch_session()

navigation = st.navigation(
    [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page(
            "pages/models.py",
            title="Hardware & models",
            icon=":material/memory:",
            url_path="hardware",
        ),
        st.Page(
            "pages/generate.py",
            title="Generate",
            icon=":material/auto_awesome:",
            url_path="generate",
        ),
        st.Page(
            "pages/compare.py",
            title="Compare",
            icon=":material/compare_arrows:",
            url_path="compare",
        ),
        st.Page("pages/study.py", title="Study", icon=":material/folder_open:", url_path="study"),
        st.Page("pages/history.py", title="History", icon=":material/history:", url_path="history"),
        st.Page(
            "pages/hybrid.py", title="Hybrid (Claude)", icon=":material/cloud:", url_path="hybrid"
        ),
        st.Page(
            "pages/settings.py", title="Settings", icon=":material/settings:", url_path="settings"
        ),
    ],
    position="top",
)
run_guarded(study_bar, "the study picker")  # the current study, at the top of every page
run_guarded(navigation.run, f"page {navigation.title}")
