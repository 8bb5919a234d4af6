"""Shared resources: the current engine and its settings, cached listings, hardware, History."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from pathlib import Path

import streamlit as st

from persona import api
from persona.api.display import escape_markdown
from persona.api.engines import (
    BuiltinEngine,
    OllamaClient,
    OllamaEngine,
    api_key_for,
    check_engine,
    check_ollama,
    detect_hardware,
    make_engine,
    model_rows,
)
from persona.api.settings import load_settings, where_engine_runs
from persona.core.errors import ConfigError
from persona.types import (
    ENGINES,
    ON_THIS_MACHINE,
    Engine,
    EngineStatus,
    Hardware,
    ModelRow,
    OllamaStatus,
    RunningModel,
    Settings,
    Store,
)

LISTING_TTL_S = 10
"""Engine listings are cached this long so reruns do not hammer the server."""
ENGINE_CHOICE = "engine_choice"
"""Session state: an engine chosen for this session only (the demo offer)."""
API_KEY = "engine_api_key"
"""Session state: an API key typed on the Settings page; it lives only in this session."""


def settings() -> Settings:
    """The settings in force: ``settings.toml``, the environment, then this session's choice
    of engine (which the environment still beats). Raises ConfigError for a bad value."""
    current = load_settings()
    choice = st.session_state.get(ENGINE_CHOICE)
    if choice in ENGINES and "engine" not in current.from_environment:
        current = replace(current, engine=choice)
    return current


def current_where() -> str:
    """Where the engine in use works: "on this machine", or "on 10.0.0.5:11434". Settings
    that cannot be read say so where the engine is used; here they only say where to look."""
    try:
        return where_engine_runs(settings())
    except ConfigError:
        return "on the engine chosen in Settings"


def where_drafts_go() -> str:
    """One sentence (Markdown) on where the research data goes to make drafts."""
    where = current_where()
    if where == ON_THIS_MACHINE:
        return "Drafts are made on this machine: your research data is not sent anywhere."
    return (
        f"Drafts are made {escape_markdown(where)}: your research data is sent there for the "
        "drafts, and nowhere else."
    )


def session_key() -> str | None:
    """The API key typed in this session, if any (never saved)."""
    key = st.session_state.get(API_KEY)
    return str(key) if key else None


@st.cache_resource(show_spinner=False)
def builtin_engine(models_dir: str, files: tuple[str, ...]) -> BuiltinEngine:
    """One built-in engine per folder and file list, shared by every session: models load
    once and each model has its own lock."""
    return BuiltinEngine(Path(models_dir), [Path(f) for f in files])


@contextmanager
def engine_for(chosen: Settings, key: str | None) -> Iterator[Engine]:
    """The engine ``chosen`` describes; network engines are closed after use."""
    if chosen.engine == "builtin":
        yield builtin_engine(str(chosen.models_dir), tuple(str(f) for f in chosen.gguf_files))
        return
    engine = make_engine(chosen, api_key=key)
    try:
        yield engine
    finally:
        engine.close()


def current_engine() -> AbstractContextManager[Engine]:
    """The engine the settings choose, for this session (a context manager)."""
    return engine_for(settings(), session_key())


def fingerprint(chosen: Settings, key: str | None) -> str:
    """Identifies settings (and which key, never the key itself) for the listing caches."""
    values = repr(sorted(chosen.to_saved().items()))
    key_id = hashlib.sha256(key.encode()).hexdigest()[:12] if key else ""
    return f"{values}|{key_id}"


@st.cache_data(ttl=LISTING_TTL_S, show_spinner=False)
def engine_status(settings_id: str, _chosen: Settings, _key: str | None) -> EngineStatus:
    """The engine's status, cached per ``settings_id`` (:func:`fingerprint`: the settings and
    which key; the settings and key themselves are not hashed)."""
    with engine_for(_chosen, _key) as engine:
        return check_engine(engine)


def current_status() -> EngineStatus:
    chosen, key = settings(), session_key()
    return engine_status(fingerprint(chosen, key), chosen, key)


@st.cache_data(ttl=LISTING_TTL_S, show_spinner=False)
def engine_models(settings_id: str, _chosen: Settings, _key: str | None) -> list[ModelRow]:
    """The engine's models with their fit verdicts, cached per ``settings_id``."""
    with engine_for(_chosen, _key) as engine:
        return model_rows(engine, detect_hardware())


def current_model_rows() -> list[ModelRow]:
    """The current engine's models with their fit verdicts (raises if the engine is down)."""
    chosen, key = settings(), session_key()
    return engine_models(fingerprint(chosen, key), chosen, key)


# --- Ollama's own calls ---------------------------------------------------------------------


def ollama_host() -> str:
    return settings().ollama_host


def client() -> OllamaClient:
    chosen = settings()
    key = api_key_for(replace(chosen, engine="ollama"), session_key())
    return OllamaClient(chosen.ollama_host, timeouts=chosen.timeouts, api_key=key)


@st.cache_data(ttl=60, show_spinner=False)
def hardware() -> Hardware:
    return detect_hardware()


@st.cache_data(ttl=LISTING_TTL_S, show_spinner=False)
def ollama_status(host: str) -> OllamaStatus:
    with client() as c:
        return check_ollama(c)


@st.cache_data(ttl=LISTING_TTL_S, show_spinner=False)
def local_models(host: str) -> list[ModelRow]:
    with client() as c:
        return model_rows(OllamaEngine(c), detect_hardware())


@st.cache_data(ttl=LISTING_TTL_S, show_spinner=False)
def loaded_models(host: str) -> list[RunningModel]:
    with client() as c:
        return c.ps()


def refresh() -> None:
    """Forget cached listings after an action changed what an engine holds."""
    ollama_status.clear()
    local_models.clear()
    loaded_models.clear()
    engine_status.clear()
    engine_models.clear()


@st.cache_resource(show_spinner=False)
def store() -> Store:
    """History, opened once for the dashboard (see :func:`persona.api.open_history`)."""
    return api.open_history()
