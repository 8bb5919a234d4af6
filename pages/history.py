"""History: every run saved on this machine; reopen, export or delete it."""

import pandas as pd
import streamlit as st

from pages.ui.cards import STATUS_LABELS, render_run
from pages.ui.chat import render_chat
from pages.ui.errors import show_error
from pages.ui.resources import store
from persona.core.errors import PersonaError

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
            "Engine": s.engine,
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
render_chat(run, key=f"history_{run.id}")

with st.expander("Delete this run", icon=":material/delete:"):
    st.write("This removes the run and its personas from this machine. It cannot be undone.")
    if st.button("Delete run", key="history_delete", type="primary"):
        store().delete(run.id)
        st.session_state.history_deleted = True
        st.rerun()
