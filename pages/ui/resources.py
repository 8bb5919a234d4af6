"""Shared resources: the engine client, cached listings, hardware and the History store."""

from __future__ import annotations

import streamlit as st

from persona.core.settings import resolve_ollama_host
from persona.engines.hardware import Hardware, detect_hardware
from persona.engines.inventory import (
    ModelRow,
    OllamaStatus,
    check_ollama,
    model_rows,
)
from persona.engines.ollama import OllamaClient, RunningModel
from persona.history.store import Store

LISTING_TTL_S = 10
"""Ollama listings are cached this long so reruns do not hammer the server."""


def ollama_host() -> str:
    return resolve_ollama_host()


def client() -> OllamaClient:
    return OllamaClient(ollama_host())


@st.cache_data(ttl=60, show_spinner=False)
def hardware() -> Hardware:
    return detect_hardware()


@st.cache_data(ttl=LISTING_TTL_S, show_spinner=False)
def ollama_status(host: str) -> OllamaStatus:
    with OllamaClient(host) as c:
        return check_ollama(c)


@st.cache_data(ttl=LISTING_TTL_S, show_spinner=False)
def local_models(host: str) -> list[ModelRow]:
    with OllamaClient(host) as c:
        return model_rows(c, detect_hardware())


@st.cache_data(ttl=LISTING_TTL_S, show_spinner=False)
def loaded_models(host: str) -> list[RunningModel]:
    with OllamaClient(host) as c:
        return c.ps()


def refresh() -> None:
    """Forget cached listings after an action changed what Ollama holds."""
    ollama_status.clear()
    local_models.clear()
    loaded_models.clear()


@st.cache_resource(show_spinner=False)
def store() -> Store:
    return Store()
