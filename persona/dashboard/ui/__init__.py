"""Streamlit building blocks the pages share (widgets and session state only)."""
