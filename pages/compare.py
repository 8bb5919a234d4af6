"""Compare: the same study through two or three models, with the personas side by side."""

import pandas as pd
import streamlit as st

from pages.ui.cards import render_persona
from pages.ui.errors import show_error
from pages.ui.pickers import installed_models, pick_language
from pages.ui.resources import current_engine, store, where_drafts_go
from pages.ui.study_files import page_study
from persona import api
from persona.core.errors import PersonaError
from persona.generation.compare import (
    MAX_CONTENDERS,
    Comparison,
    Contender,
    Entry,
    align,
    side_by_side,
)
from persona.generation.request import GenerationRequest
from persona.ingest.columns import choices_from_options

st.title("Compare models")
st.caption(
    "The same files and settings through two or three models. Every run is saved to History "
    "like any other. " + where_drafts_go()
)

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
    )
    count = st.slider("Number of personas", 1, 10, 3, key="cmp_count")
with right:
    language = pick_language(reading, key="cmp_language")
    seed = st.number_input("Seed (the same for every model)", min_value=0, value=7, key="cmp_seed")
    context = st.text_area("Product and study context (optional)", key="cmp_context", height=90)

ready = bool(reading and reading.ok_count and len(chosen) >= 2)
if not ready:
    st.caption("Choose a study and pick at least two models to compare.")
clicked = st.button("Compare", type="primary", disabled=not ready, icon=":material/compare_arrows:")
if clicked and reading is not None and study is not None:
    st.session_state.cmp_entries = None
    try:
        request = GenerationRequest(
            model=chosen[0], count=count, context=context, seed=int(seed), language=language
        )
        with current_engine() as engine:
            comparison = Comparison(
                [Contender(engine, model) for model in chosen],
                reading,
                request,
                store(),
                study=study,
                columns=choices_from_options({"columns": api.study(study, store=store()).choices}),
            )
            with st.status("Comparing…", expanded=True) as box:
                bar = st.progress(0.0)
                for event in comparison.events():
                    if event.text:
                        continue
                    box.update(label=event.message)
                    bar.progress(min(event.fraction or 0.0, 1.0))
                box.update(label="Comparison finished", state="complete", expanded=False)
        st.session_state.cmp_entries = [
            (e.label, e.run.id if e.run else None, e.error) for e in comparison.entries
        ]
    except PersonaError as exc:
        show_error(exc)

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
