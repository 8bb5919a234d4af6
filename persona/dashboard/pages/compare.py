"""Compare: the same study through two or three models, with the personas side by side.

The comparison runs in the background (:mod:`persona.dashboard.ui.jobs`): progress, time
left and Stop, surviving reruns and page changes; its runs are read back from History.
"""

from contextlib import ExitStack

import pandas as pd
import streamlit as st

from persona.api.compare import CompareJob, align, compare, side_by_side
from persona.core.errors import PersonaError
from persona.dashboard.ui.cards import render_persona
from persona.dashboard.ui.errors import show_error
from persona.dashboard.ui.jobs import finish_job, follow_job, job_running, start_job
from persona.dashboard.ui.pickers import installed_models, pick_language
from persona.dashboard.ui.resources import current_engine, store, where_drafts_go
from persona.dashboard.ui.study_files import page_study
from persona.types import MAX_CONTENDERS, Entry

JOB = "compare"
COMPARING = "cmp_job"  # session state: the comparison running (its entries when it ends)

st.title("Compare models")
st.caption(
    "The same files and settings through two or three models. Every run is saved to History "
    "like any other. " + where_drafts_go()
)

busy = job_running(JOB)  # the inputs stay as they are while a comparison uses them
study, reading = page_study("Comparing on")
models = installed_models(retry_key="retry_compare")
left, right = st.columns(2)
with left:
    chosen = st.multiselect(
        "Models to compare",
        models,
        max_selections=MAX_CONTENDERS,
        key="cmp_models",
        help="Two or three. They run one after the other.",
        disabled=busy,
    )
    count = st.slider("Number of personas", 1, 10, 3, key="cmp_count", disabled=busy)
with right:
    language = pick_language(reading, key="cmp_language")
    seed = st.number_input(
        "Seed (the same for every model)", min_value=0, value=7, key="cmp_seed", disabled=busy
    )
    context = st.text_area(
        "Product and study context (optional)", key="cmp_context", height=90, disabled=busy
    )

ready = bool(reading and reading.ok_count and len(chosen) >= 2)
if not ready:
    st.caption("Choose a study and pick at least two models to compare.")
clicked = st.button(
    "Compare", type="primary", disabled=busy or not ready, icon=":material/compare_arrows:"
)
if clicked and study is not None and not busy:
    st.session_state.cmp_entries = None
    scope = ExitStack()  # the engine stays open while the comparison uses it
    try:
        engine = scope.enter_context(current_engine())
        job = compare(
            chosen,
            study=study,
            count=count,
            context=context,
            seed=int(seed),
            language=language,
            engine=engine,
            store=store(),
        )
    except PersonaError as exc:
        scope.close()
        show_error(exc, retry_key="retry_compare_start")
    else:
        st.session_state[COMPARING] = job
        start_job(JOB, lambda: iter(job), cleanup=scope.close)
        st.rerun()  # the inputs show disabled while the comparison runs
follow_job(
    JOB,
    label="Comparing…",
    stop_help="Ends the current model's answer; the runs made so far are kept in History.",
)
if (ended := finish_job(JOB)) is not None:
    comparing = st.session_state.pop(COMPARING, None)
    if isinstance(comparing, CompareJob):
        st.session_state.cmp_entries = [
            (e.label, e.run.id if e.run else None, e.error) for e in comparing.entries
        ]
    if isinstance(ended.error, PersonaError):
        show_error(ended.error, retry_key="retry_after_compare")
    elif ended.error is not None:
        raise ended.error  # unexpected: the app's guard apologises and logs it
    elif ended.state == "stopped":
        st.info(
            "The comparison was stopped: the runs made so far are below and in History.",
            icon=":material/stop_circle:",
        )

saved = st.session_state.get("cmp_entries")
if not saved:
    st.stop()
entries = []
for label, run_id, error in saved:
    try:
        entries.append(Entry(label, store().get(run_id) if run_id else None, error))
    except PersonaError as exc:
        entries.append(Entry(label, None, str(exc)))

st.subheader("Side by side")
rows = side_by_side(entries)
st.dataframe(
    pd.DataFrame(rows).set_index(""),
    width="stretch",
    height=min(800, 36 * (len(rows) + 1)),
    key="cmp_table",
)

st.subheader("The personas next to each other")
runs = [e for e in entries if e.run is not None]
if runs:
    heads = st.columns(len(runs))
    for column, entry in zip(heads, runs, strict=True):
        column.markdown(f"**{entry.label}**")
    for number, slot in enumerate(align([e.run.personas for e in runs if e.run])):
        columns = st.columns(len(runs))
        for column, entry, index in zip(columns, runs, slot, strict=True):
            with column:
                if index is None or entry.run is None:
                    st.caption("No matching persona.")
                else:
                    render_persona(entry.run.personas[index], key=f"cmp_{entry.label}_{number}")
st.page_link("pages/history.py", label="Every run is in History", icon=":material/history:")
