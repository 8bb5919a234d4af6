"""Home: what Persona is, and whether everything it needs is ready."""

import streamlit as st

from pages.ui.errors import ollama_down
from pages.ui.resources import hardware, ollama_host, ollama_status, store
from persona.core.errors import PersonaError
from persona.engines.catalogue import recommend

st.title("Persona")
st.write(
    "Turn interview transcripts and survey exports into **evidence-backed UX personas** "
    "with a model running on this machine. Your research data stays here unless you "
    "switch on the optional Claude refinement on the Hybrid page."
)

status = ollama_status(ollama_host())
machine = hardware()
advice = recommend(machine)

left, middle, right = st.columns(3)
left.metric("Ollama", f"running {status.version}" if status.reachable else "not running")
middle.metric("Models installed", status.model_count if status.reachable else "—")
right.metric("Recommended model", advice.tier.model)

if not status.reachable:
    ollama_down(status.host)
elif status.model_count == 0:
    st.info(
        f"Ollama is running but has no models yet. Pull **{advice.tier.model}** on the "
        "Hardware & models page (one click).",
        icon=":material/download:",
    )
    st.page_link("pages/models.py", label="Go to Hardware & models", icon=":material/memory:")
else:
    st.success(
        "Ready. Upload your research files on the Generate page.", icon=":material/check_circle:"
    )
    st.page_link("pages/generate.py", label="Generate personas", icon=":material/auto_awesome:")

st.subheader("How it works")
st.markdown(
    "1. **Hardware & models**: see what your machine can run and pull a model.\n"
    "2. **Generate**: upload transcripts and surveys, check what was read, press Generate. "
    "Every claim comes with quotes checked against your files.\n"
    "3. **History**: every run is saved on this machine; reopen and export it any time.\n"
    "4. **Hybrid** (optional): let Claude polish drafts, after you see exactly what is sent."
)
try:
    recent = store().list(limit=3)
except PersonaError as exc:
    st.warning(f"History is unavailable: {exc}")
    recent = []
if recent:
    st.subheader("Recent runs")
    for summary in recent:
        st.write(f"• {summary.created_at:%Y-%m-%d %H:%M} — {summary.title} — {summary.status}")
