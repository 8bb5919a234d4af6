"""Helpers for the dashboard's tests (AppTest and the browser)."""

from __future__ import annotations

import streamlit as st


def clear_caches() -> None:
    """Empty Streamlit's caches (listings, hardware, History, chart specs): a page run sees only
    the test's own data folder and servers."""
    st.cache_data.clear()
    st.cache_resource.clear()
