"""Errors shown as friendly messages with the next step; never a traceback."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from persona.api.engines import install_steps
from persona.api.jobs import Worker
from persona.core.errors import (
    SETTINGS_PAGE,
    ConfigError,
    ModelNotFound,
    OllamaUnreachable,
    PersonaError,
)
from persona.dashboard.ui.engines import settings_link
from persona.dashboard.ui.resources import refresh
from persona.dashboard.ui.text import safe


def show_error(exc: PersonaError, *, retry_key: str | None = None) -> None:
    """A friendly, specific message with the next step; never a traceback."""
    if not isinstance(exc, OllamaUnreachable):
        st.error(safe(exc), icon=":material/warning:")
    show_next_step(exc, retry_key=retry_key)


def show_next_step(exc: PersonaError, *, retry_key: str | None = None) -> None:
    """What to do about errors that have a fix on another page or outside Persona."""
    if isinstance(exc, OllamaUnreachable):
        ollama_down(exc.host, retry_key=retry_key)
    elif isinstance(exc, ModelNotFound) and exc.engine == "Ollama":
        st.page_link(
            "pages/models.py",
            label=f"Pull {exc.model} on Hardware & models",
            icon=":material/memory:",
        )
    elif isinstance(exc, ModelNotFound):
        st.page_link("pages/models.py", label="See the models", icon=":material/memory:")
    elif isinstance(exc, ConfigError) or SETTINGS_PAGE in str(exc):
        settings_link()


def ollama_down(host: str, *, retry_key: str | None = "retry_ollama") -> None:
    """Ollama is not running: say how to install and start it, and offer a Retry."""
    steps = "\n".join(f"{i}. {step}" for i, step in enumerate(install_steps(), start=1))
    st.error(
        f"**Ollama is not running** (nothing answers at `{host}`). Persona needs it to run "
        f"the models.\n\n{steps}",
        icon=":material/power_off:",
    )
    if retry_key and st.button("Retry", key=retry_key, icon=":material/refresh:"):
        refresh()
        st.rerun()


def guarded(action: Callable[[], object], *, retry_key: str | None = None) -> bool:
    """Run ``action``; show a `PersonaError` as a friendly message. True when it worked."""
    try:
        action()
    except PersonaError as exc:
        show_error(exc, retry_key=retry_key)
        return False
    return True


def failed(job: Worker, *, retry_key: str | None = None) -> bool:
    """Whether ``job`` ended on an error, and if so says it: a :class:`PersonaError` as its
    message with what to do (and "Try again" under ``retry_key``); anything else is a bug,
    raised for the app's guard, which apologises and logs it."""
    if isinstance(job.error, PersonaError):
        show_error(job.error, retry_key=retry_key)
        return True
    if job.error is not None:
        raise job.error
    return False
