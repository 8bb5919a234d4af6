"""Hardware & models: what this machine can run, and the models of the engine in use."""

import streamlit as st

from persona.api.display import format_bytes
from persona.core.errors import PersonaError
from persona.dashboard.ui import gguf_models, ollama_models, server_models
from persona.dashboard.ui.errors import show_error
from persona.dashboard.ui.pickers import engine_caption
from persona.dashboard.ui.resources import hardware, settings

st.title("Hardware & models")

# --- hardware ----------------------------------------------------------------
machine = hardware()
st.subheader("This machine")
cols = st.columns(4)
cols[0].metric("Memory for models", format_bytes(machine.usable_memory))
cols[0].caption(f"usable {machine.memory_kind}")
cols[1].metric("RAM", format_bytes(machine.ram_total))
cols[1].caption(f"{format_bytes(machine.ram_available)} free now")
cols[2].metric("Accelerator", machine.accelerator)
cols[3].metric("CPU cores", machine.cpu_logical or "?")
cols[3].caption(machine.cpu_name)
for gpu in machine.gpus:
    st.caption(f"GPU: {gpu.name}, {format_bytes(gpu.vram_total)} VRAM")


# --- the engine's models -----------------------------------------------------
try:
    chosen = settings()
except PersonaError as exc:
    show_error(exc)
    st.stop()
engine_caption()
if chosen.engine == "ollama":
    ollama_models.render(machine)
elif chosen.engine == "builtin":
    gguf_models.render(machine)
else:
    server_models.render()
