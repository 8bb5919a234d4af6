"""Choosing a model of the current engine."""

from __future__ import annotations

import streamlit as st

from pages.ui.builtin_install import builtin_missing
from pages.ui.engines import offer_demo, settings_link
from pages.ui.errors import ollama_down
from pages.ui.resources import current_status, hardware, settings
from persona.core.safe_text import escape_markdown
from persona.core.settings import where_engine_runs
from persona.engines.builtin import DEMO_NOTE, demo_model_name
from persona.engines.catalogue import recommend
from persona.engines.registry import default_model
from persona.generation.language import DEFAULT_LANGUAGE, LANGUAGES, detect_language
from persona.ingest import Reading


def installed_models(*, retry_key: str) -> list[str]:
    """The current engine's model names; when it is down, failing or empty, says what to do."""
    chosen = settings()
    status = current_status()
    if status.state == "unreachable" and chosen.engine == "ollama":
        ollama_down(chosen.ollama_host, retry_key=retry_key)
        offer_demo(key=f"{retry_key}_demo")
        return []
    if status.state == "not installed":
        builtin_missing(key=retry_key)
        return []
    if not status.ready:
        st.error(status.verdict, icon=":material/power_off:")
        settings_link()
        return []
    for warning in status.warnings:
        st.warning(warning, icon=":material/warning:")
    models = status.model_names
    if not models:
        if chosen.engine == "ollama":
            st.warning(
                "No models are installed in Ollama yet: pull one on the Hardware & models page.",
                icon=":material/download:",
            )
        elif chosen.engine == "builtin":
            if not builtin_missing(key=retry_key):  # the demo model's package is there
                st.warning(
                    "The built-in engine found no GGUF models: add a .gguf file on the Hardware "
                    "& models page.",
                    icon=":material/download:",
                )
        else:
            st.warning(f"{status.label} lists no models: load one on the server.")
        st.page_link("pages/models.py", label="Go to Hardware & models", icon=":material/memory:")
    return models


def pick_model(label: str, models: list[str], *, disabled: bool = False) -> str | None:
    """A select box of ``models`` with the default one preselected."""
    chosen = settings()
    recommended = recommend(hardware()).tier.model
    preferred = default_model(chosen, chosen.engine, models, recommended)
    help_text = f"Recommended for this machine: {recommended}"
    if chosen.engine == "builtin" and preferred == demo_model_name():
        help_text = f"The demo model: {DEMO_NOTE}."
    return st.selectbox(
        label,
        models,
        index=models.index(preferred) if preferred in models else 0,
        disabled=disabled or not models,
        placeholder="No models installed",
        help=help_text,
    )


def engine_caption() -> None:
    """Which engine runs the models on this page and where, with a link to change it."""
    chosen = settings()
    where = escape_markdown(where_engine_runs(chosen))
    st.caption(f"Engine: **{chosen.engine_name}**, {where} — change it on the Settings page.")


def pick_language(reading: Reading | None, *, key: str = "language") -> str:
    """The language to write personas in: the study's (detected) unless the user picks one."""
    detected = detect_language(reading.passages) if reading and reading.ok_count else None
    default = (detected.language if detected else None) or DEFAULT_LANGUAGE
    return str(
        st.selectbox(
            "Write the personas in",
            LANGUAGES,
            index=LANGUAGES.index(default),
            key=f"{key}_{default}",  # a study in another language resets the choice
            help="Quotes always stay word for word in the language of your data. "
            + (f"Your data: {detected.label}." if detected else "Upload files to detect it."),
        )
    )
