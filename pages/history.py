"""History: every run saved on this machine, grouped by study; open, export, move, delete."""

import hashlib
from functools import partial

import pandas as pd
import streamlit as st

from pages.ui.cards import STATUS_LABELS, render_run
from pages.ui.chat import render_chat
from pages.ui.edit import render_editor, render_edits
from pages.ui.errors import show_error
from pages.ui.quotes import passages_for
from pages.ui.resources import store
from pages.ui.resume import follow_resume, resume_button
from pages.ui.study import choose_study, current_study
from persona import api
from persona.core.errors import PersonaError
from persona.core.records import UNTITLED_STUDY
from persona.core.safe_text import escape_markdown
from persona.history.listing import RunListing
from persona.hybrid.spend import frontier_spend

st.title("History")
st.caption("Runs are saved on this machine as they happen, so nothing is lost if a tab closes.")

if st.session_state.get("history_done"):
    st.success(st.session_state.history_done, icon=":material/check:")
    st.session_state.history_done = ""

# --- filters -------------------------------------------------------------------------------
try:
    studies = store().studies()
except PersonaError as exc:
    show_error(exc)
    st.stop()

left, right = st.columns([3, 2])
with left:
    query = st.text_input(
        "Search", placeholder="persona, claim, quote, study, file or model", key="history_search"
    )
with right:
    names = [s.name for s in studies]
    current = current_study()
    shown = [None, *names] if current is None or current in names else [None, current, *names]
    study_filter = st.selectbox(
        "Study",
        shown,
        index=shown.index(current),  # the current study; "All studies" is one click away
        format_func=lambda name: "All studies" if name is None else (name or UNTITLED_STUDY),
        key=f"history_study_{current}",  # a new current study shows its runs
    )
statuses = st.pills(  # the whole width, so every status chip shows in full
    "Status",
    list(STATUS_LABELS),
    selection_mode="multi",
    default=list(STATUS_LABELS),
    format_func=lambda status: STATUS_LABELS[status],
    key="history_status",
)

try:
    summaries = store().list(limit=500, search=query or None, statuses=statuses, study=study_filter)
except PersonaError as exc:
    show_error(exc)
    st.stop()

if not summaries:
    filtered = query or study_filter is not None or len(statuses) < len(STATUS_LABELS)
    if not studies:
        st.info("No runs yet.")
    elif query:
        st.info(f"No runs match “{escape_markdown(query)}”.")
    elif study_filter and len(statuses) == len(STATUS_LABELS):
        st.info(
            f"No runs in “{escape_markdown(study_filter)}” yet: generate personas on it, or "
            "choose All studies."
        )
    else:
        st.info("No runs match these filters." if filtered else "No runs yet.")
    st.stop()

# --- runs, grouped by study ---------------------------------------------------------------
groups: dict[str, list[RunListing]] = {}
for summary in summaries:
    groups.setdefault(summary.study, []).append(summary)

# A table's selection is row positions, which point at other runs once its rows change (a
# search, a deletion, a new run). Each table is keyed by the runs it shows, so a changed
# table starts unselected, and what is selected is kept as run IDs.
picked: dict[str, list[str]] = st.session_state.setdefault("history_picked", {})


def remember(table_key: str, ids: list[str]) -> None:
    """The clicked rows of ``table_key`` as the IDs of the runs those rows showed."""
    rows = st.session_state[table_key].selection.rows
    picked[table_key] = [ids[row] for row in rows if row < len(ids)]


by_id = {s.id: s for s in summaries}
shown_keys: set[str] = set()
for study, runs in groups.items():
    title = escape_markdown(study or UNTITLED_STUDY)
    st.markdown(f"#### {title} :gray[· {len(runs)} run{'s' if len(runs) != 1 else ''}]")
    table = pd.DataFrame(
        [
            {
                "Run": s.title,
                "Status": STATUS_LABELS.get(s.status, s.status),
                "Personas": s.personas_text,
                "Evidence": s.summary.quotes_text,
                "Files": ", ".join(s.file_names),
                "Model": s.model + (f" + {s.frontier_model}" if s.frontier_model else ""),
                "Engine": s.engine,
            }
            for s in runs
        ]
    )
    ids = [s.id for s in runs]
    digest = hashlib.sha1("\n".join([study, *ids]).encode()).hexdigest()[:12]
    table_key = f"history_table_{digest}"
    shown_keys.add(table_key)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "Personas": st.column_config.TextColumn(help="Usable personas of all the run made")
        },
        on_select=partial(remember, table_key, ids),
        selection_mode="multi-row",
        key=table_key,
    )
for stale in set(picked) - shown_keys:
    del picked[stale]
selected: list[RunListing] = [
    by_id[run_id] for key in picked for run_id in picked[key] if run_id in by_id
]

# --- bulk actions -------------------------------------------------------------------------
count = len(selected)
st.caption(
    f"{count} run{'s' if count != 1 else ''} selected" if count else "Select runs to act on them."
)
act_move, act_rename, act_delete = st.columns(3)
with act_move, st.popover("Move to study…", disabled=not count, icon=":material/folder:"):
    target = st.text_input(
        "Study name", key="history_move_name", value=selected[0].study if count else ""
    )
    if st.button("Move", key="history_move", disabled=not target.strip()):
        moved = store().set_study([s.id for s in selected], target)
        st.session_state.history_done = f"Moved {moved} run(s) to “{' '.join(target.split())}”."
        st.rerun()
with act_rename, st.popover("Rename a study…", icon=":material/edit:"):
    old = st.selectbox(
        "Study", names, format_func=lambda n: n or UNTITLED_STUDY, key="history_rename_from"
    )
    new = st.text_input("New name", key="history_rename_to")
    if st.button("Rename", key="history_rename", disabled=not new.strip() or old is None):
        renamed = store().rename_study(old or "", new)
        if old and old == current:  # the current study goes on under its new name
            choose_study(" ".join(new.split()))
        st.session_state.history_done = f"Renamed the study ({renamed} run(s))."
        st.rerun()
with act_delete:
    if st.button(
        f"Delete {count} selected…" if count else "Delete selected…",
        key="history_delete",
        disabled=not count,
        icon=":material/delete:",
    ):
        st.session_state.history_confirm = [s.id for s in selected]

pending = [s for s in selected if s.id in st.session_state.get("history_confirm", [])]
if pending:
    with st.container(border=True):
        st.warning(
            f"Delete {len(pending)} run(s) and their personas from this machine? "
            "This cannot be undone.",
            icon=":material/warning:",
        )
        for s in pending:
            st.markdown(f"- {escape_markdown(s.title)}")
        yes, no = st.columns(2)
        if yes.button(f"Yes, delete {len(pending)} run(s)", type="primary", key="history_yes"):
            deleted = store().delete_many(s.id for s in pending)
            st.session_state.history_confirm = []
            st.session_state.history_done = f"Deleted {deleted} run(s)."
            st.rerun()
        if no.button("Cancel", key="history_no"):
            st.session_state.history_confirm = []
            st.rerun()

# --- the opened run -----------------------------------------------------------------------
chosen = selected[0] if selected else summaries[0]
st.divider()
st.subheader(escape_markdown(chosen.title))
try:
    run = store().get(chosen.id)
except PersonaError as exc:
    show_error(exc)
    st.stop()
spend = frontier_spend(run)
if spend is not None:
    st.caption(escape_markdown(f"Claude: {spend.summary}"))
render_run(run, key=f"history_{run.id}", passages=passages_for(run))
for index, record in enumerate(run.records):
    render_edits(record, key=f"history_{run.id}_{index}")
    render_editor(run, index, key=f"history_{run.id}")
render_chat(run, key=f"history_{run.id}")

if api.can_resume(run, store()):
    with st.expander("Resume this run", icon=":material/replay:", expanded=True):
        resume_button(run, key="history")
follow_resume()
