"""Generate: the current study (or uploads that create one), what was read, personas with
evidence."""

from contextlib import ExitStack
from typing import Any

import streamlit as st

from persona import api
from persona.api.engines import parallel_requests
from persona.core.errors import InputError, PersonaError
from persona.dashboard.ui.cards import render_run
from persona.dashboard.ui.chat import render_chat
from persona.dashboard.ui.edit import render_editor, render_edits
from persona.dashboard.ui.errors import show_error, show_next_step
from persona.dashboard.ui.jobs import finish_job, follow_job, job_running, start_job
from persona.dashboard.ui.pickers import engine_caption, installed_models, pick_language, pick_model
from persona.dashboard.ui.quotes import passages_for
from persona.dashboard.ui.resources import current_engine, settings, store, where_drafts_go
from persona.dashboard.ui.resume import JOB as RESUME
from persona.dashboard.ui.resume import follow_resume, resumable, resume_button
from persona.dashboard.ui.study import current_study
from persona.dashboard.ui.study_files import (
    add_files,
    offer_sample_study,
    save,
    show_done,
    study_reading,
)
from persona.dashboard.ui.text import safe, safe_line
from persona.dashboard.ui.uploads import render_reading

JOB = "generate"

st.title("Generate personas")
st.caption(where_drafts_go())

busy = job_running(JOB) or job_running(RESUME)  # inputs stay as they are while a run uses them

# --- the study: its files, or uploads that create it -----------------------------
top = st.container()  # one element whatever it holds: what follows keeps its place
with top:
    show_done()
    study = current_study()
    pending = add_files(None, key="generate", disabled=busy) if study is None else None
    if study is None and pending is None:
        offer_sample_study(disabled=busy)
    reading = pending.upload.reading if pending else study_reading(study) if study else None
    if study is not None and reading is not None:
        render_reading(reading)
        with st.expander(f"Add files to “{safe_line(study)}”", icon=":material/note_add:"):
            add_files(study, key="generate_add", disabled=busy)
        for interrupted in resumable(study)[:1]:
            resume_button(interrupted, key="generate")
transcribing = bool(pending and pending.upload.transcribing)

# --- options -------------------------------------------------------------------
models = installed_models(retry_key="retry_generate")
st.subheader("Options")
engine_caption()
left, right = st.columns(2)
with left:
    model = pick_model("Model", models, disabled=busy)
    count = st.slider("Number of personas", 1, 10, 3, disabled=busy)
    temperature = st.slider(
        "Creativity (temperature)", 0.0, 1.5, 0.4, 0.1, help="Lower is more literal.", disabled=busy
    )
    seed = st.number_input(
        "Seed (optional, for repeatable runs)",
        min_value=0,
        value=None,
        step=1,
        placeholder="random",
        disabled=busy,
    )
with right:
    context = st.text_area(
        "Product and study context (optional)",
        placeholder="e.g. A grocery-delivery app for busy families; 12 interviews, spring 2026.",
        height=120,
        disabled=busy,
    )
    language = pick_language(reading)
    keep_text = st.checkbox(
        "Keep a copy of the research text in History",
        value=False,
        help="Off by default: History keeps personas, settings, file names and fingerprints only.",
        disabled=busy,
    )

options: dict[str, Any] = {  # GenerationRequest fields
    "context": context,
    "temperature": temperature,
    "seed": int(seed) if seed is not None else None,
    "language": language,
}
plan = None
ready = bool(reading and reading.ok_count and model) and not transcribing
if ready and reading is not None and model:
    try:
        with current_engine() as engine:
            options["parallel"] = parallel_requests(settings(), engine)
            plan = api.plan(reading, model, count=count, engine=engine, store=store(), **options)
        st.info(f"**Plan:** {safe(plan.describe())}", icon=":material/route:")
    except PersonaError as exc:
        show_error(exc, retry_key="retry_plan")
        ready = False
elif not reading:
    st.caption("Upload at least one file, or try the sample study, to continue.")
if pending is not None and pending.files:
    st.caption(f"Generating first keeps these files as the study “{safe_line(pending.name)}”.")

# --- generate ------------------------------------------------------------------
if (
    st.button(
        "Generate personas",
        type="primary",
        disabled=busy or not (ready and plan),
        icon=":material/auto_awesome:",
    )
    and reading is not None
    and model
    and plan is not None
):
    st.session_state.current_run = None
    if pending is not None:  # the uploads become the study the run lands in
        study = save(pending, key="generate")
    scope = ExitStack()  # the engine stays open while the run uses it
    try:
        if study is None:
            with top:
                show_done()  # why the files could not be kept
            raise InputError("Nothing was generated: the files are not in a study yet.")
        engine = scope.enter_context(current_engine())
        generation = api.generate(
            None,
            model,
            count=count,
            engine=engine,
            store=store(),
            plan=plan,
            keep_research_text=keep_text,
            study=study,
            **options,
        )
    except PersonaError as exc:
        scope.close()
        show_error(exc, retry_key="retry_after_error")
    else:
        st.session_state.current_run = generation.run.id
        start_job(JOB, lambda: iter(generation), cleanup=scope.close)
        st.rerun()  # the inputs show disabled while the run uses them
follow_job(JOB, label="Generating personas…")
if resumed := follow_resume():
    st.session_state.current_run = resumed
if (job := finish_job(JOB)) is not None and isinstance(job.error, PersonaError):
    if st.session_state.get("current_run") is None:
        show_error(job.error, retry_key="retry_after_error")
    else:  # the saved run below shows the message; add only the way out
        show_next_step(job.error, retry_key="retry_after_error")
elif job is not None and job.error is not None:
    raise job.error  # unexpected: the app's guard apologises and logs it

# --- result (survives reruns: read back from History) ----------------------------
run_id = st.session_state.get("current_run")
if run_id and study:
    try:
        run = store().get(run_id)
    except PersonaError as exc:
        show_error(exc)
    else:
        if run.study.casefold() == study.casefold():  # another study's run is in History
            st.subheader("Personas")
            render_run(run, key="generated", passages=passages_for(run))
            for index, record in enumerate(run.records):
                render_edits(record, key=f"generated_{index}")
                render_editor(run, index, key="generated")
            render_chat(run, key="generated")
        st.page_link("pages/history.py", label="All runs are in History", icon=":material/history:")
