"""Generate: upload research files, check what was read, make personas with evidence."""

from contextlib import ExitStack
from typing import Any

import streamlit as st

from pages.ui.cards import render_run
from pages.ui.chat import render_chat
from pages.ui.edit import render_editor, render_edits
from pages.ui.errors import show_error, show_next_step
from pages.ui.jobs import finish_job, follow_job, job_running, start_job
from pages.ui.pickers import engine_caption, installed_models, pick_language, pick_model
from pages.ui.resources import current_engine, settings, store, where_drafts_go
from pages.ui.text import safe
from pages.ui.uploads import uploaded_reading
from persona import api
from persona.core.errors import PersonaError
from persona.core.records import suggest_study
from persona.engines.registry import parallel_requests
from persona.ingest.sample import SAMPLE_STUDY

JOB = "generate"

st.title("Generate personas")
st.caption(where_drafts_go())

busy = job_running(JOB)  # inputs stay as they are while a run uses them

# --- upload and report ---------------------------------------------------------
upload = uploaded_reading(
    disabled=busy,
    key="generate",
    label="Research files: interview transcripts and survey exports",
    help="CSV, TSV, Excel (.xlsx), JSON, JSON Lines, TXT, Markdown, PDF, Word (.docx) and "
    "meeting transcripts from Zoom, Teams, Google Meet or Otter (.vtt, .srt, .txt); "
    "recordings (.wav, .mp3, .m4a, .mp4, .mov, .webm, .ogg) are transcribed on this machine. "
    "Several at once.",
    recordings=True,
    sample=True,
)
reading = upload.reading if upload else None
transcribing = bool(upload and upload.transcribing)

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
    if upload is not None and upload.sample:
        suggested = SAMPLE_STUDY
    else:
        suggested = suggest_study([d.name for d in reading.documents]) if reading else ""
    study = st.text_input(
        "Study",
        placeholder=suggested or "e.g. Grocery delivery interviews, spring 2026",
        help="Runs of one study are grouped together in History. Left empty, the study is "
        "named after the files" + (f": “{suggested}”." if suggested else "."),
        disabled=busy,
    )
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
    scope = ExitStack()  # the engine stays open while the run uses it
    try:
        engine = scope.enter_context(current_engine())
        generation = api.generate(
            reading,
            model,
            count=count,
            engine=engine,
            store=store(),
            plan=plan,
            keep_research_text=keep_text,
            study=study or (SAMPLE_STUDY if upload and upload.sample else ""),
            columns=upload.choices if upload else None,
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
if (job := finish_job(JOB)) is not None and isinstance(job.error, PersonaError):
    if st.session_state.get("current_run") is None:
        show_error(job.error, retry_key="retry_after_error")
    else:  # the saved run below shows the message; add only the way out
        show_next_step(job.error, retry_key="retry_after_error")
elif job is not None and job.error is not None:
    raise job.error  # unexpected: the app's guard apologises and logs it

# --- result (survives reruns: read back from History) ----------------------------
run_id = st.session_state.get("current_run")
if run_id:
    try:
        run = store().get(run_id)
    except PersonaError as exc:
        show_error(exc)
    else:
        st.subheader("Personas")
        render_run(run, key="generated", passages=reading.passages if reading else None)
        for index, record in enumerate(run.records):
            render_edits(record, key=f"generated_{index}")
            render_editor(run, index, key="generated")
        render_chat(run, key="generated", reading=reading)
        st.page_link("pages/history.py", label="All runs are in History", icon=":material/history:")
