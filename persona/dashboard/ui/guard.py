"""The app's one top-level guard: no page ever ends in a traceback or a dead end."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from persona.api.jobs import log_unexpected
from persona.core.errors import PersonaError
from persona.dashboard.ui.errors import show_error


def run_guarded(part: Callable[[], object], where: str) -> None:
    """Run ``part`` (a page, or what every page shows); a PersonaError is a normal message,
    anything else a short apology.

    Streamlit's own control flow (``st.rerun``, ``st.stop``) is not an Exception and passes.
    """
    try:
        part()
    except PersonaError as exc:  # e.g. ConfigError: a setting Persona cannot use
        show_error(exc)
    except Exception as exc:
        show_apology(exc, where)


def show_apology(exc: Exception, where: str) -> None:
    """Sorry, the error's type, where the details are, and the way back."""
    logged = log_unexpected(exc, where)
    details = (
        f"The details were written to `{logged}` on this machine (nothing was sent anywhere)."
        if logged
        else "The details could not be written to the log."
    )
    st.error(
        f"**Sorry, something went wrong on this page** ({type(exc).__name__}). Your uploaded "
        f"files, your choices and every saved run are kept. {details}",
        icon=":material/sentiment_dissatisfied:",
    )
    left, right = st.columns(2)
    if left.button("Try again", icon=":material/refresh:", key=f"guard_retry_{where}"):
        st.rerun()
    with right:
        st.page_link("pages/home.py", label="Back to Home", icon=":material/home:")
