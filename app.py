"""Persona dashboard: `streamlit run app.py`."""

import streamlit as st

st.set_page_config(page_title="Persona", page_icon=":material/route:", layout="wide")

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
navigation.run()
