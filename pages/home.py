"""Home: what Persona is, and whether everything it needs is ready."""

import streamlit as st

from pages.ui.builtin_install import builtin_missing
from pages.ui.engines import offer_demo, settings_link
from pages.ui.errors import ollama_down, show_error
from pages.ui.resources import (
    current_status,
    current_where,
    hardware,
    ollama_status,
    settings,
    store,
)
from pages.ui.study_files import SAMPLE_BUTTON, use_sample
from pages.ui.text import safe
from persona.core.errors import PersonaError
from persona.core.safe_text import escape_markdown
from persona.core.settings import ON_THIS_MACHINE
from persona.engines.builtin import DEMO_NOTE
from persona.engines.catalogue import recommend
from persona.ingest.sample import SAMPLE_DESCRIPTION

st.title("Persona")
where = current_where()
stays = (
    "Your research data stays here"
    if where == ON_THIS_MACHINE
    else "Your research data goes there for the drafts and nowhere else"
)
st.write(
    "Turn interview transcripts and survey exports into **evidence-backed UX personas** "
    f"with a model running {escape_markdown(where)}. {stays} unless you switch on the "
    "optional Claude refinement on the Hybrid page."
)

if (
    st.button(
        SAMPLE_BUTTON,
        key="home_sample",
        type="primary",
        icon=":material/science:",
        help=f"Opens Generate with {SAMPLE_DESCRIPTION} shipped with Persona as the current "
        "study, ready to run.",
    )
    and use_sample()
):
    st.switch_page("pages/generate.py")
st.caption(f"New here? The sample study is {SAMPLE_DESCRIPTION}: see what Persona makes of it.")

try:
    chosen = settings()
except PersonaError as exc:
    show_error(exc)
    st.stop()
machine = hardware()
advice = recommend(machine)

if chosen.engine == "ollama":
    status = ollama_status(chosen.ollama_host)
    left, middle, right = st.columns(3)
    running = f"running {status.version}" if status.reachable and not status.error else None
    left.metric("Ollama", running or ("not running" if not status.reachable else "failing"))
    middle.metric("Models installed", status.model_count if running else "—")
    right.metric("Recommended model", advice.tier.model)
    if not status.reachable:
        ollama_down(status.host)
        offer_demo(key="home_demo")
    elif status.error:
        st.error(f"Ollama is running at {status.host} but failing: {status.error}")
        settings_link()
    elif status.model_count == 0:
        st.info(
            f"Ollama is running but has no models yet. Pull **{advice.tier.model}** on the "
            "Hardware & models page (one click).",
            icon=":material/download:",
        )
        st.page_link("pages/models.py", label="Go to Hardware & models", icon=":material/memory:")
        offer_demo(key="home_demo")
    else:
        st.success(
            "Ready. Upload your research files on the Generate page.",
            icon=":material/check_circle:",
        )
        st.page_link("pages/generate.py", label="Generate personas", icon=":material/auto_awesome:")
else:
    engine_status = current_status()
    left, middle = st.columns(2)
    left.metric(chosen.engine_name, "ready" if engine_status.ready else engine_status.state)
    middle.metric("Models", len(engine_status.models) if engine_status.ready else "—")
    if engine_status.ready and engine_status.models:
        if chosen.engine == "builtin":
            st.success(
                f"Ready with the built-in engine: models run inside Persona. The demo model is "
                f"{DEMO_NOTE}.",
                icon=":material/check_circle:",
            )
        else:
            st.success(f"Ready: {engine_status.verdict}", icon=":material/check_circle:")
        for warning in engine_status.warnings:
            st.warning(warning, icon=":material/warning:")
        st.page_link("pages/generate.py", label="Generate personas", icon=":material/auto_awesome:")
    elif engine_status.state == "not installed":
        builtin_missing(key="home")
    else:
        st.error(engine_status.verdict, icon=":material/power_off:")
    settings_link("Change the engine on the Settings page")

st.subheader("How it works")
st.markdown(
    "1. **Hardware & models**: see what your machine can run and get a model (or choose "
    "another engine on **Settings**: the built-in engine, or a server for big studies).\n"
    "2. **Generate**: upload transcripts and surveys, check what was read, press Generate. "
    "Every claim comes with quotes checked against your files.\n"
    "3. **History**: every run is saved on this machine; reopen and export it any time.\n"
    "4. **Hybrid** (optional): let Claude polish drafts, after you see exactly what is sent."
)
try:
    recent = store().list(limit=3)
except PersonaError as exc:
    st.warning(f"History is unavailable: {safe(exc)}")
    recent = []
if recent:
    st.subheader("Recent runs")
    for summary in recent:
        made_by = f" — {escape_markdown(summary.engine)}" if summary.engine else ""
        st.markdown(f"• {escape_markdown(summary.title)}{made_by} — {summary.status}")
