"""Hardware & models for an OpenAI-compatible server: what it serves, with context lengths."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from persona.api.engines import format_parameters
from persona.dashboard.ui.engines import settings_link
from persona.dashboard.ui.resources import current_status, refresh


def render() -> None:
    status = current_status()
    st.subheader("Models on the server")
    if not status.ready:
        st.error(status.verdict, icon=":material/power_off:")
        settings_link()
        if st.button("Retry", key="retry_server", icon=":material/refresh:"):
            refresh()
            st.rerun()
        return
    st.success(status.verdict, icon=":material/check_circle:")
    for warning in status.warnings:
        st.warning(warning, icon=":material/warning:")
    st.info(
        "Downloading, loading and deleting models is the server's job: `vllm serve MODEL`, "
        "`llama-server -m model.gguf`, LM Studio's model list, or your LiteLLM proxy's "
        "configuration. Persona runs what the server lists, and plans every prompt to fit the "
        "context the server reports.",
        icon=":material/dns:",
    )
    if not status.models:
        st.warning("The server lists no models: load one on the server, then press Retry.")
        return
    table = pd.DataFrame(
        [
            {
                "Model": model.name,
                "Context": f"{model.context_length:,}" if model.context_length else "unknown",
                "Context from": str(model.details.get("context_source", "")),
                "Parameters": format_parameters(model.parameters) or "?",
                "Parallel slots": str(model.details.get("slots") or "?"),
            }
            for model in status.models
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch")
    if any(model.context_length is None for model in status.models):
        st.warning(
            "The server does not say how long a prompt may be for some models: set Context "
            "length on the Settings page to what the server was started with (for example "
            "its --ctx-size), or Persona assumes 4,096 tokens.",
            icon=":material/straighten:",
        )
        settings_link()
