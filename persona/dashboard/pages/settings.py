"""Settings: which engine runs the models, where it is, and how Persona talks to it."""

from typing import Any

import streamlit as st

from persona.api.engines import check_engine, llama_installed
from persona.api.settings import load_settings, save_settings, settings_path
from persona.core.errors import ConfigError, PersonaError
from persona.dashboard.ui.builtin_install import builtin_missing
from persona.dashboard.ui.resources import API_KEY, ENGINE_CHOICE, engine_for, refresh, session_key
from persona.types import (
    ENGINE_LABELS,
    ENGINE_NAMES,
    ENGINES,
    KEY_VARIABLES,
    MAX_PARALLEL,
    EngineKind,
    Settings,
)

st.title("Settings")
st.caption(
    f"Saved on this machine in `{settings_path()}`. Environment variables win over what is "
    "saved here; API keys are never saved."
)

try:
    saved = load_settings()
except ConfigError as exc:
    st.error(str(exc), icon=":material/error:")
    if st.button("Start again from the defaults", key="settings_reset"):
        broken = settings_path()
        broken.replace(broken.with_name(broken.name + ".broken"))
        refresh()
        st.rerun()
    st.stop()

if st.session_state.get("settings_saved"):
    st.success("Settings saved.", icon=":material/check_circle:")
    st.session_state.settings_saved = False
session_choice = st.session_state.get(ENGINE_CHOICE)
if session_choice and session_choice != saved.engine:
    st.info(
        f"This session uses the **{ENGINE_NAMES[session_choice]}** (chosen on the Home or "
        f"Generate page); the saved engine is the {ENGINE_NAMES[saved.engine]}.",
        icon=":material/info:",
    )
    if st.button(f"Use the saved engine ({ENGINE_NAMES[saved.engine]})", key="drop_choice"):
        st.session_state[ENGINE_CHOICE] = None
        refresh()
        st.rerun()


def pinned(key: str) -> str | None:
    """Help text when an environment variable sets ``key`` (the field is then read-only)."""
    variable = saved.from_environment.get(key)
    return f"Set by the environment variable {variable}; change it there." if variable else None


def field_help(key: str, text: str) -> str:
    return pinned(key) or text


def engine_name(kind: EngineKind) -> str:
    """The engine's name on the picker, marked when the built-in engine is not installed."""
    missing = kind == "builtin" and not llama_installed()
    return ENGINE_NAMES[kind] + (" (not installed)" if missing else "")


with st.form("settings_form", border=False):
    engine = st.radio(
        ENGINE_LABELS["engine"],
        ENGINES,
        index=ENGINES.index(session_choice or saved.engine),
        format_func=engine_name,
        horizontal=True,
        disabled=bool(pinned("engine")),
        help=field_help(
            "engine",
            "Ollama: models on this machine or an Ollama server. OpenAI-compatible server: "
            "vLLM, llama.cpp's server, LM Studio or a LiteLLM proxy, for big studies. Built-in: "
            "GGUF models inside Persona (it needs llama-cpp-python: when it is not installed, "
            "install it below).",
        ),
    )
    st.subheader("Ollama")
    ollama_host = st.text_input(
        ENGINE_LABELS["ollama_host"],
        value=saved.ollama_host,
        disabled=bool(pinned("ollama_host")),
        help=field_help(
            "ollama_host", "host, host:port or a URL; https:// for a server behind a proxy"
        ),
    )
    st.subheader("OpenAI-compatible server")
    base_url = st.text_input(
        ENGINE_LABELS["base_url"],
        value=saved.base_url,
        placeholder="http://127.0.0.1:8000/v1",
        disabled=bool(pinned("base_url")),
        help=field_help("base_url", "The address that ends in /v1 (OPENAI_BASE_URL)."),
    )
    context_length = st.number_input(
        ENGINE_LABELS["context_length"],
        min_value=0,
        value=saved.context_length or 0,
        step=1024,
        disabled=bool(pinned("context_length")),
        help=field_help(
            "context_length",
            "Only used when the server does not say how long a prompt may be (vLLM, llama.cpp "
            "and LM Studio do). 0 = unknown.",
        ),
    )
    st.text_input(
        "API key (this session only)",
        value=session_key() or "",
        type="password",
        key="api_key_field",
        help="For a server that asks for one (an OpenAI-compatible server, or Ollama behind a "
        "proxy). Kept only while this browser tab is open; never written to disk. Or set "
        f"{' / '.join(KEY_VARIABLES.values())}.",
    )
    st.subheader("Built-in engine")
    models_dir = st.text_input(
        ENGINE_LABELS["models_dir"],
        value=str(saved.models_dir),
        disabled=bool(pinned("models_dir")),
        help=field_help("models_dir", "Every .gguf file in this folder is listed as a model."),
    )
    st.subheader("Running")
    parallel = st.number_input(
        ENGINE_LABELS["parallel"],
        min_value=0,
        max_value=MAX_PARALLEL,
        value=saved.parallel or 0,
        disabled=bool(pinned("parallel")),
        help=field_help(
            "parallel",
            "How many independent requests are sent at once: the parts of a large study, their "
            "merges, persona calls. 0 = the engine's default: 1 for "
            "Ollama (its server must allow more with OLLAMA_NUM_PARALLEL) and the built-in "
            "engine, 4 for OpenAI-compatible servers.",
        ),
    )
    model = st.text_input(
        ENGINE_LABELS["model"],
        value=saved.model,
        placeholder="the recommended one",
        disabled=bool(pinned("model")),
        help=field_help("model", "Preselected on the Generate page when the engine has it."),
    )
    left, middle, right = st.columns(3)
    connect = left.number_input(
        ENGINE_LABELS["connect_timeout"],
        min_value=0.5,
        value=float(saved.timeouts.connect),
        disabled=bool(pinned("connect_timeout")),
        help=field_help("connect_timeout", "An absent server fails this fast."),
    )
    request = middle.number_input(
        ENGINE_LABELS["request_timeout"],
        min_value=1.0,
        value=float(saved.timeouts.request),
        disabled=bool(pinned("request_timeout")),
        help=field_help("request_timeout", "Quick calls: listing and describing models."),
    )
    load = right.number_input(
        ENGINE_LABELS["load_timeout"],
        min_value=0.0,
        value=float(saved.timeouts.load or 0),
        disabled=bool(pinned("load_timeout")),
        help=field_help(
            "load_timeout", "Answers: a large model can take minutes to load before it writes."
        ),
    )
    save, test = st.columns(2)
    save_pressed = save.form_submit_button("Save settings", type="primary", icon=":material/save:")
    test_pressed = test.form_submit_button("Test connection", icon=":material/network_check:")

values: dict[str, Any] = {
    "engine": engine,
    "ollama_host": ollama_host,
    "base_url": base_url,
    "context_length": int(context_length),
    "models_dir": models_dir,
    "parallel": int(parallel),
    "model": model,
    "connect_timeout": connect,
    "request_timeout": request,
    "load_timeout": load,
}
changes = {key: value for key, value in values.items() if not pinned(key)}
if save_pressed or test_pressed:
    st.session_state[API_KEY] = st.session_state.get("api_key_field") or None

if save_pressed:
    try:
        save_settings(changes)
    except PersonaError as exc:
        st.error(str(exc), icon=":material/error:")
    else:
        st.session_state[ENGINE_CHOICE] = None
        st.session_state.settings_saved = True
        refresh()
        st.rerun()

if test_pressed:
    try:
        candidate: Settings = load_settings(changes=changes)
        with st.spinner("Testing…"), engine_for(candidate, session_key()) as tested:
            status = check_engine(tested)
    except PersonaError as exc:
        st.error(str(exc), icon=":material/error:")
    else:
        if status.ready:
            st.success(status.verdict, icon=":material/check_circle:")
        elif status.state == "failing":
            st.warning(status.verdict, icon=":material/warning:")
        else:
            st.error(status.verdict, icon=":material/power_off:")
        for warning in status.warnings:
            st.warning(warning, icon=":material/warning:")
        if not save_pressed:
            st.caption("Tested the values above; press Save settings to keep them.")

builtin_missing(key="settings")
