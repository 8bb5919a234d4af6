"""Hybrid: draft locally, let Claude refine only what needs it, see exactly what changed."""

import streamlit as st

from persona import api
from persona.api.display import escape_markdown
from persona.api.hybrid import FrontierClient, frontier_spend
from persona.api.runs import distinct_names
from persona.core.errors import PersonaError
from persona.dashboard.ui.cards import render_downloads, render_persona
from persona.dashboard.ui.chat import render_chat
from persona.dashboard.ui.coverage import render_study
from persona.dashboard.ui.errors import show_error
from persona.dashboard.ui.hybrid_choose import choose_version
from persona.dashboard.ui.hybrid_consent import api_key
from persona.dashboard.ui.hybrid_draft import JOB as DRAFT
from persona.dashboard.ui.hybrid_draft import RUN, follow_draft, start_draft
from persona.dashboard.ui.hybrid_review import render_changes, render_spend
from persona.dashboard.ui.hybrid_send import JOB as REFINE
from persona.dashboard.ui.hybrid_send import review_and_send
from persona.dashboard.ui.jobs import job_running
from persona.dashboard.ui.pickers import installed_models, pick_model
from persona.dashboard.ui.quotes import passages_for
from persona.dashboard.ui.resources import current_where, store
from persona.dashboard.ui.study_files import MISSING_FILES, page_study
from persona.types import (
    DEFAULT_MODELS,
    DEFAULT_MODELS_AS_OF,
    DEFAULT_THRESHOLD,
    ModelList,
    Run,
)

st.title("Hybrid: local draft, Claude polish")
where = escape_markdown(current_where())  # where drafts are made, and the study goes
st.info(
    f"Drafts are made **{where}**. Nothing is sent to Anthropic until you ask: the "
    "model list only when you press **Load models from Anthropic**, your drafts only after you "
    "review the exact text, agree and press **Send**. Names, file names, e-mails, phone "
    "numbers, links and account numbers are replaced by pseudonyms such as \\[PERSON\\_1\\] "
    "before sending and restored here afterwards. Claude never types a quote: it cites the "
    "passages it is sent by ID, and Persona quotes them word for word from your data.",
    icon=":material/shield:",
)


busy = job_running(DRAFT) or job_running(REFINE)  # inputs stay as they are while a job uses them

# --- step 1: data and options ------------------------------------------------
study, reading = page_study("Drafts are made from")
models = installed_models(retry_key="retry_hybrid")

st.subheader("Options")
key = api_key()
left, right = st.columns(2)
with left:
    local_model = pick_model("Local model (drafts)", models, disabled=busy)
    count = st.slider("Number of personas", 1, 10, 3, key="hy_count", disabled=busy)
    context = st.text_area(
        "Product and study context (optional)", key="hy_context", height=90, disabled=busy
    )
with right:
    if not key:
        st.text_input(
            "Anthropic API key",
            type="password",
            key="hy_key",
            disabled=busy,
            help="Kept only in this browser session; never saved or logged by Persona. "
            "Or set ANTHROPIC_API_KEY, or put it in .streamlit/secrets.toml.",
        )
        key = api_key()
    else:
        st.caption("Anthropic API key: configured ✓ (not shown)")
    if st.button(
        "Load models from Anthropic",
        disabled=busy or not key,
        key="hy_load_models",
        icon=":material/cloud_download:",
        help="Asks Anthropic which models your key can use. Sends the key, no research data.",
    ):
        try:
            st.session_state.hy_models = FrontierClient(key).list_models()
        except PersonaError as exc:
            show_error(exc)
    listed: ModelList | None = st.session_state.get("hy_models")
    frontier_models = listed.models if listed and listed.models else list(DEFAULT_MODELS)
    if listed is None:
        st.caption(
            f"Built-in model list (checked {DEFAULT_MODELS_AS_OF}). Nothing is sent to "
            "Anthropic until you ask."
        )
    elif not listed.live:
        st.caption(escape_markdown(f"Model list unavailable ({listed.reason}); showing defaults."))
    frontier_model: str = (
        st.selectbox("Claude model", frontier_models, key="hy_frontier", disabled=busy)
        or frontier_models[0]
    )
    threshold = st.slider(
        "Refine drafts scoring below",
        0,
        100,
        int(DEFAULT_THRESHOLD),
        key="hy_threshold",
        disabled=busy,
        help="Each draft is scored on this machine: claims backed by quotes in your data, "
        "completeness, distinctness. An unusable draft scores at most 40.",
    )
    refine_all = st.checkbox("Refine every draft", key="hy_all", disabled=busy)
    max_cost = st.number_input(
        "Budget cap (USD)",
        min_value=0.0,
        value=1.0,
        step=0.5,
        key="hy_budget",
        disabled=busy,
        help="A hard cap: each call's length is limited to what the rest of the budget can "
        "pay, so the refinement never costs more than this.",
    )


# --- step 2: drafts -------------------------------------------------------------
st.subheader("1 · Draft locally")
can_draft = bool(reading and reading.ok_count and local_model) and not busy
if (
    st.button("Draft personas locally", type="primary", disabled=not can_draft, key="hy_draft")
    and study
    and local_model
):
    start_draft(study, local_model, count=count, context=context, frontier_model=frontier_model)
follow_draft(where)

run: Run | None = None
if st.session_state.get(RUN):
    try:
        run = store().get(st.session_state[RUN])
    except PersonaError as exc:
        show_error(exc)
if run is None or not run.records:
    st.caption("Choose a study and draft personas to continue.")
    st.stop()
reading = api.run_reading(run, store=store())  # the run's files, whichever study is current

with st.expander(
    f"Draft personas ({len(run.records)})", expanded=not any(r.refined for r in run.records)
):
    cols = st.columns(min(len(run.records), 3))
    draft_names = distinct_names(record.draft.name for record in run.records)
    for index, record in enumerate(run.records):
        with cols[index % len(cols)]:
            render_persona(
                record.draft, key=f"hy_draft_{index}", run_id=run.id, name=draft_names[index]
            )
render_study(run, key="hybrid")
st.caption("Downloads use the version you keep of each persona (the drafts until you choose).")
render_downloads(run, key="hybrid", passages=passages_for(run))
with st.expander("Talk to a persona", icon=":material/forum:"):
    render_chat(run, key="hybrid")

# --- step 3: consent preview, then Claude in the background -----------------------
st.subheader("2 · Review what would be sent")
if reading is None:
    st.warning(MISSING_FILES)  # redaction learns names from them; Claude's quotes are checked
else:
    review_and_send(
        run,
        reading.documents,
        model=frontier_model,
        threshold=threshold,
        refine_all=refine_all,
        cap_usd=float(max_cost),
        key=key,
        where=where,
    )
    run = store().get(run.id)  # with what the refinement saved

# --- step 4: what changed ---------------------------------------------------------
if not any(r.refined or r.refine_error for r in run.records):
    st.stop()
st.subheader("3 · What changed")
spend = frontier_spend(run)
render_spend(run, spend)
for index, record in enumerate(run.records):
    st.markdown(f"#### {escape_markdown(draft_names[index])}")
    if render_changes(run, index, record, spend):
        choose_version(run, index, reading)
