"""Choosing a model."""

from __future__ import annotations

import streamlit as st

from pages.ui.errors import ollama_down, show_error
from pages.ui.resources import hardware, local_models, ollama_host, ollama_status
from persona.core.errors import PersonaError
from persona.engines.catalogue import recommend


def installed_models(*, retry_key: str) -> list[str]:
    """Installed model names; when Ollama is down or empty, says what to do instead."""
    status = ollama_status(ollama_host())
    if not status.reachable:
        ollama_down(status.host, retry_key=retry_key)
        return []
    try:
        models = [row.name for row in local_models(ollama_host())]
    except PersonaError as exc:
        show_error(exc)
        return []
    if not models:
        st.warning(
            "No models are installed in Ollama yet: pull one on the Hardware & models page.",
            icon=":material/download:",
        )
        st.page_link("pages/models.py", label="Go to Hardware & models", icon=":material/memory:")
    return models


def pick_model(label: str, models: list[str]) -> str | None:
    """A select box of ``models`` with the one recommended for this machine preselected."""
    recommended = recommend(hardware()).tier.model
    return st.selectbox(
        label,
        models,
        index=models.index(recommended) if recommended in models else 0,
        disabled=not models,
        placeholder="No models installed",
        help=f"Recommended for this machine: {recommended}",
    )
