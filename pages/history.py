"""History: every run saved on this machine; reopen, export or delete it."""

import pandas as pd
import streamlit as st

from pages.ui.cards import STATUS_LABELS, render_run
from pages.ui.errors import show_error
from pages.ui.resources import client, store
from pages.ui.uploads import uploaded_reading
from persona.core.errors import PersonaError
from persona.engines.ollama.engine import OllamaEngine
from persona.generation.pipeline import LocalRun, can_resume

st.title("History")
st.caption("Runs are saved on this machine as they happen, so nothing is lost if a tab closes.")

query = st.text_input("Search", placeholder="persona name, role, file or model")
try:
    summaries = store().list(limit=200, search=query or None)
except PersonaError as exc:
    show_error(exc)
    st.stop()

if st.session_state.get("history_deleted"):
    st.success("Run deleted.", icon=":material/delete:")
    st.session_state.history_deleted = False

if not summaries:
    st.info("No runs yet." if not query else f"No runs match “{query}”.")
    st.stop()

table = pd.DataFrame(
    [
        {
            "Date": f"{s.created_at:%Y-%m-%d %H:%M}",
            "Model": s.model + (f" + {s.frontier_model}" if s.frontier_model else ""),
            "Files": ", ".join(s.file_names),
            "Personas": s.persona_count,
            "Evidence": s.verified_summary,
            "Status": STATUS_LABELS.get(s.status, s.status),
        }
        for s in summaries
    ]
)
picked = st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    key="history_table",
)
rows = picked.selection.rows if picked else []
index = rows[0] if rows else 0
chosen = summaries[index]
st.subheader(chosen.title)
try:
    run = store().get(chosen.id)
except PersonaError as exc:
    show_error(exc)
    st.stop()
render_run(run, key=f"history_{run.id}")

if can_resume(run, store()):
    with st.expander("Resume this run", icon=":material/replay:", expanded=True):
        st.write(
            "The findings of the parts read before it stopped are saved. Upload the same files "
            "again to make only the calls that are missing."
        )
        again = uploaded_reading(key="resume", label="The run's files", help="Same content.")
        clicked = st.button("Resume", key="history_resume", type="primary", disabled=not again)
        if clicked and again is not None:
            try:
                with client() as c, st.status("Resuming…", expanded=True) as box:
                    local = LocalRun.resume(OllamaEngine(c), again, store(), run.id)
                    for event in local.events():
                        if not event.text:
                            box.update(label=event.message)
                st.rerun()
            except PersonaError as exc:
                show_error(exc)

with st.expander("Delete this run", icon=":material/delete:"):
    st.write("This removes the run and its personas from this machine. It cannot be undone.")
    if st.button("Delete run", key="history_delete", type="primary"):
        store().delete(run.id)
        st.session_state.history_deleted = True
        st.rerun()
