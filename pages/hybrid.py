"""Hybrid: draft locally, let Claude refine only what needs it, see exactly what changed."""

from contextlib import closing

import pandas as pd
import streamlit as st

from pages.ui.cards import render_downloads, render_persona
from pages.ui.chat import render_chat
from pages.ui.coverage import render_study
from pages.ui.edit import track_changes
from pages.ui.errors import show_error
from pages.ui.pickers import installed_models, pick_model
from pages.ui.quotes import passages_for
from pages.ui.resources import current_engine, current_where, store
from pages.ui.study_files import MISSING_FILES, page_study
from pages.ui.text import safe_line
from persona import api
from persona.core.diff import (
    CHOOSABLE_FIELDS,
    NO_CHANGES,
    field_changes,
    field_choices,
)
from persona.core.documents import Document
from persona.core.errors import PersonaError
from persona.core.naming import distinct_names
from persona.core.records import Kept, Run, Version
from persona.core.safe_text import escape_markdown
from persona.core.settings import ON_THIS_MACHINE
from persona.generation.research import run_passages
from persona.hybrid.cloud import (
    DEFAULT_MODELS,
    DEFAULT_MODELS_AS_OF,
    KEY_VARIABLE,
    FrontierClient,
    ModelList,
    find_api_key,
)
from persona.hybrid.consent import changes as consent_changes
from persona.hybrid.gate import DEFAULT_THRESHOLD
from persona.hybrid.redact import Redactor
from persona.hybrid.refine import Preview, choose, dropped_text, prepare, refine
from persona.hybrid.spend import frontier_spend

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


def api_key() -> str | None:
    """The key in force (see :func:`find_api_key`), from `.streamlit/secrets.toml` or this
    session's password field when the environment has none."""
    try:
        secret = st.secrets.get(KEY_VARIABLE)
    except FileNotFoundError:
        secret = None
    return find_api_key(
        secret=None if secret is None else str(secret), typed=st.session_state.get("hy_key")
    )


# --- step 1: data and options ------------------------------------------------
study, reading = page_study("Drafts are made from")
models = installed_models(retry_key="retry_hybrid")

st.subheader("Options")
key = api_key()
left, right = st.columns(2)
with left:
    local_model = pick_model("Local model (drafts)", models)
    count = st.slider("Number of personas", 1, 10, 3, key="hy_count")
    context = st.text_area("Product and study context (optional)", key="hy_context", height=90)
with right:
    if not key:
        st.text_input(
            "Anthropic API key",
            type="password",
            key="hy_key",
            help="Kept only in this browser session; never saved or logged by Persona. "
            "Or set ANTHROPIC_API_KEY, or put it in .streamlit/secrets.toml.",
        )
        key = api_key()
    else:
        st.caption("Anthropic API key: configured ✓ (not shown)")
    if st.button(
        "Load models from Anthropic",
        disabled=not key,
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
        st.selectbox("Claude model", frontier_models, key="hy_frontier") or frontier_models[0]
    )
    threshold = st.slider(
        "Refine drafts scoring below",
        0,
        100,
        int(DEFAULT_THRESHOLD),
        key="hy_threshold",
        help="Each draft is scored on this machine: claims backed by quotes in your data, "
        "completeness, distinctness. An unusable draft scores at most 40.",
    )
    refine_all = st.checkbox("Refine every draft", key="hy_all")
    max_cost = st.number_input(
        "Budget cap (USD)",
        min_value=0.0,
        value=1.0,
        step=0.5,
        key="hy_budget",
        help="A hard cap: each call's length is limited to what the rest of the budget can "
        "pay, so the refinement never costs more than this.",
    )

# --- step 2: drafts -------------------------------------------------------------
st.subheader("1 · Draft locally")
can_draft = bool(reading and reading.ok_count and local_model)
clicked = st.button(
    "Draft personas locally", type="primary", disabled=not can_draft, key="hy_draft"
)
if clicked and study and local_model:
    st.session_state.hy_run = None
    try:
        with current_engine() as engine:
            job = api.generate(
                None,  # the study's files, read with its saved choices (recorded with the run)
                local_model,
                count=count,
                engine=engine,
                store=store(),
                frontier_model=frontier_model,
                study=study,
                context=context,
            )
            st.session_state.hy_run = job.run.id
            with st.status(f"Drafting {where}…", expanded=True) as box:
                for event in job:
                    if not event.text:
                        box.update(label=safe_line(event.message))
                box.update(label="Drafts ready", state="complete", expanded=False)
    except PersonaError as exc:
        show_error(exc)

run: Run | None = None
if st.session_state.get("hy_run"):
    try:
        run = store().get(st.session_state.hy_run)
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

# --- step 3: consent preview -----------------------------------------------------


def highlighted(text: str, redactor: Redactor) -> str:
    """``text`` as Markdown that shows every pseudonym highlighted and everything else as is."""
    return "".join(
        f":orange-background[{escape_markdown(piece)}]" if hidden else escape_markdown(piece)
        for piece, hidden in redactor.segments(text)
    )


def consent_box(preview: Preview) -> bool:
    """The consent checkbox, bound to exactly this preview; True when consent covers it."""
    shown = preview.consent
    round_ = st.session_state.get("hy_round", 0)
    given = st.session_state.get("hy_consent_given")
    if given is not None and given != shown:
        st.session_state.hy_cleared = consent_changes(given, shown)
        st.session_state.hy_consent_given = None
        st.session_state.hy_round = round_ = round_ + 1  # a new, unticked box
    if st.session_state.get("hy_cleared"):
        st.warning(
            escape_markdown(
                "Your agreement was cleared because "
                + "; ".join(st.session_state.hy_cleared)
                + ". Review what would be sent and agree again."
            ),
            icon=":material/gpp_maybe:",
        )

    def agreed() -> None:
        ticked = bool(st.session_state.get(f"hy_consent_{round_}"))
        st.session_state.hy_consent_given = shown if ticked else None
        st.session_state.hy_cleared = None

    cap = "no cap" if preview.cap_usd is None else f"${preview.cap_usd:.2f}"
    rewrites = sum(item.mode == "rewrite" for item in preview.selected)
    how = f"; {rewrites} unusable, to be rewritten from their passages" if rewrites else ""
    st.checkbox(
        f"I agree to send the {len(preview.selected)} redacted persona(s) above to Anthropic "
        f"({preview.model}, at most {cap}{how}).",
        key=f"hy_consent_{round_}",
        on_change=agreed,
    )
    return st.session_state.get("hy_consent_given") == shown


def review_and_send(run: Run, documents: list[Document]) -> Run:
    """Score, show exactly what would be sent and its cost; send only after consent."""
    try:
        preview = prepare(
            run,
            documents,
            model=frontier_model,
            threshold=threshold,
            refine_all=refine_all,
            cap_usd=float(max_cost),
        )
    except PersonaError as exc:
        show_error(exc)
        return run
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Persona": item.name,
                    "Score": f"{item.score.value:.0f}/100",
                    "Why": "; ".join([*item.unusable, *item.score.reasons]) or "no problems found",
                    "Send to Claude": f"yes: {item.how}"
                    if item.selected
                    else "no (kept as is)"
                    if item.ids
                    else "no (none of its passages can be sent)",
                    "≈ Input tokens": item.input_tokens,
                    "≈ Cost (USD)": f"{item.cost.usd:.4f}",
                }
                for item in preview.items
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    replaced = ", ".join(f"{n} {kind}" for kind, n in preview.replaced().items())
    st.caption(
        f"Replaced in what is sent: {replaced or 'no personal data found'} (highlighted below)."
    )
    st.caption(
        "Sent for each draft: its claims with the IDs of the passages they cite, and those "
        "passages. Claude may reword, re-assign or drop citations among them, never type a "
        "quote. An unusable draft is sent only as its passages, to be rewritten from them."
    )
    if preview.withheld:
        st.caption(
            f"Not sent: {preview.withheld} citation(s) whose passage was not found word for "
            "word in your data or was not said by a participant."
        )
    price_note = " (price unknown: assumed the highest)" if preview.frontier_only.assumed else ""
    cap = "no cap" if preview.cap_usd is None else f"your cap ${preview.cap_usd:.2f}"
    st.metric(
        "Estimated cost of this refinement",
        f"${preview.estimated_usd:.4f}",
        help=f"At most ${preview.ceiling_usd:.4f} ({cap}): every answer at its longest, with "
        f"one repair{price_note}. Estimates are made on this machine.",
    )
    st.caption(
        f"At most ${preview.ceiling_usd:.4f} ({cap}). A frontier-only run on all your data "
        f"would cost about ${preview.frontier_only.usd:.4f}."
    )
    if preview.cache_note:
        st.caption(escape_markdown(preview.cache_note))
    if preview.costs_more:
        st.warning(
            f"Refining is expected to cost more than sending all your data to {frontier_model} "
            f"in one go (about ${preview.estimated_usd:.4f} against "
            f"${preview.frontier_only.usd:.4f}). Refine fewer drafts, or pick a cheaper model.",
            icon=":material/payments:",
        )
    for item in preview.selected:
        with st.expander(
            f"Exactly what is sent for {safe_line(item.name)} ({item.how})",
            icon=":material/visibility:",
        ):
            marked, exact = st.tabs(["Highlighted", "Exact text"])
            with marked:
                st.markdown(highlighted(item.payload, preview.redactor))
            with exact:
                st.code(item.payload, language=None, wrap_lines=True)

    if not preview.selected:
        st.success("Every draft passed the quality gate: nothing needs refining.")
        return run
    if where != ON_THIS_MACHINE:
        st.caption(f"Your study already went to the engine {where} to make the drafts.")
    if preview.over_budget:
        st.warning(
            escape_markdown(f"Nothing can be sent: {preview.over_budget}"),
            icon=":material/money_off:",
        )
    consented = consent_box(preview)
    if not key:
        st.warning("Enter an Anthropic API key above to refine.", icon=":material/key:")
    send = st.button(
        f"Send {len(preview.selected)} to Claude",
        type="primary",
        disabled=not (consented and key) or bool(preview.over_budget),
        help=f"Nothing can be sent: {preview.over_budget}" if preview.over_budget else None,
        key="hy_send",
        icon=":material/cloud_upload:",
    )
    if send and key:
        try:
            frontier = FrontierClient(key)
            steps = refine(
                run,
                preview,
                frontier,
                store(),
                consent=st.session_state.get("hy_consent_given"),
            )
            with closing(steps), st.status("Refining with Claude…", expanded=True) as box:
                for event in steps:
                    box.write(escape_markdown(event.message))
                    box.update(label=escape_markdown(event.message))
                box.update(label="Refinement finished", state="complete", expanded=False)
        except PersonaError as exc:
            show_error(exc)
        st.session_state.hy_consent_given = None  # consent is per send
        st.session_state.hy_round = st.session_state.get("hy_round", 0) + 1
        return store().get(run.id)
    return run


st.subheader("2 · Review what would be sent")
if reading is None:
    st.warning(MISSING_FILES)  # redaction learns names from them; Claude's quotes are checked
else:
    run = review_and_send(run, reading.documents)

# --- step 4: what changed ---------------------------------------------------------
if not any(r.refined or r.refine_error for r in run.records):
    st.stop()
st.subheader("3 · What changed")
spend = frontier_spend(run)
if spend is not None:
    spent, only = spend.cost_usd, spend.frontier_only_usd
    st.caption(
        escape_markdown(f"{spend.summary} A frontier-only run would have cost about ${only:.4f}.")
    )
    if spend.costs_more:
        st.info(
            escape_markdown(
                f"This refinement cost more than a frontier-only run would have "
                f"(${spent:.4f} against about ${only:.4f})."
            ),
            icon=":material/payments:",
        )
    if spend.interrupted:
        st.warning(
            escape_markdown(run.message or "The refinement was stopped before it finished."),
            icon=":material/warning:",
        )


for index, record in enumerate(run.records):
    st.markdown(f"#### {escape_markdown(draft_names[index])}")
    if record.refine_error:
        st.warning(escape_markdown(record.refine_error), icon=":material/warning:")
        continue
    if record.refined is None:
        st.caption("Kept as drafted (it passed the quality gate).")
        continue
    cost = spend.per_persona.get(index) if spend else None
    if cost and cost.dropped:
        st.warning(escape_markdown(dropped_text(cost.dropped)), icon=":material/link_off:")
    if record.refined.unusable:
        reasons = "; ".join(record.refined.unusable)
        kept = " Your draft is kept until you choose." if record.kept == "draft" else ""
        st.error(
            escape_markdown(f"Claude's version is unusable: {reasons}.{kept}"),
            icon=":material/report:",
        )
    if cost:
        billed = cost.tokens
        reads = billed.cache_read_tokens
        cached = f", {reads:,} of them read from the cache" if reads else ""
        st.caption(
            f"{billed.all_input:,} input{cached} + {billed.output_tokens:,} output tokens · "
            f"${cost.cost_usd:.4f}"
        )
    changes, table, side = st.tabs(["Track changes", "Field table", "Side by side"])
    with changes:
        track_changes(field_changes(record.draft, record.refined), nothing=NO_CHANGES)
    with table:
        st.dataframe(
            pd.DataFrame(
                [
                    {"Field": c.label, "Change": c.status, "Draft": c.before, "Refined": c.after}
                    for c in field_changes(record.draft, record.refined)
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    with side:
        before, after = st.columns(2)
        with before:
            st.caption("Draft")
            render_persona(record.draft, key=f"hy_side_d_{index}", run_id=run.id)
        with after:
            st.caption("Refined by Claude")
            render_persona(record.refined, key=f"hy_side_r_{index}", run_id=run.id)
    options: dict[str, Kept] = {
        "Refined version": "refined",
        "Draft": "draft",
        "Pick per field": "fields",
    }
    labels = list(options)
    shown = next(label for label, value in options.items() if value == record.kept)
    pick = st.radio(
        "Keep", labels, index=labels.index(shown), horizontal=True, key=f"hy_pick_{index}"
    )
    wanted = options[pick or shown]
    choice: Version | dict[str, Version] = "refined" if wanted == "fields" else wanted
    if wanted == "fields":
        taken = st.multiselect(
            "Fields to take from Claude's version (the rest stay as drafted)",
            list(CHOOSABLE_FIELDS),
            default=[f for f, v in record.choices.items() if v == "refined"]
            or list(CHOOSABLE_FIELDS),
            format_func=lambda field: CHOOSABLE_FIELDS[field],
            key=f"hy_fields_{index}",
        )
        choice = field_choices(taken)
    if st.button("Save this choice", key=f"hy_save_{index}"):
        try:
            passages = run_passages(run, reading)
            choose(run, index, choice, store(), passages=passages)
            st.success("Saved to History; exports use this version.", icon=":material/save:")
        except PersonaError as exc:
            show_error(exc)
