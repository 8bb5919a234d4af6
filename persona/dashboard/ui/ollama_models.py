"""Hardware & models for the Ollama engine: the recommendation, pull (with a fit check),
the memory chart, installed models, delete and unload."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from persona.api.display import format_bytes
from persona.api.engines import fit, recommend
from persona.api.runs import speed_hint
from persona.core.errors import PersonaError
from persona.dashboard.ui.errors import guarded, ollama_down, show_error
from persona.dashboard.ui.memory_chart import memory_chart
from persona.dashboard.ui.ollama_pull import (
    ask_or_pull,
    confirm_pull,
    follow_pull,
    pulling,
    report_pull,
)
from persona.dashboard.ui.resources import (
    client,
    loaded_models,
    local_models,
    ollama_host,
    ollama_status,
    refresh,
    store,
)
from persona.types import GB, TIERS, Hardware, ModelRow


def render(machine: Hardware) -> None:
    report_pull()  # a pull that ended: before the listings, which it changed
    advice = recommend(machine)
    status = ollama_status(ollama_host())
    usable = status.reachable and not status.error
    rows = local_models(ollama_host()) if usable else []
    installed = {row.name for row in rows}

    st.subheader("Recommended model")
    (st.success if advice.fits else st.warning)(
        f"**{advice.tier.model}** — {advice.tier.label} tier (quality about "
        f"{advice.tier.quality} models). {advice.explanation}"
    )
    known = {tier.model: tier.parameters for tier in TIERS}
    try:
        st.caption(speed_hint(store(), advice.tier.model, advice.tier.parameters, known))
    except PersonaError as exc:
        st.caption(f"Speed unknown: {exc}")

    busy = pulling()
    if not status.reachable:
        ollama_down(status.host)
    elif status.error:
        show_error(PersonaError(f"Ollama is running at {status.host} but failing: {status.error}"))
    elif advice.tier.model not in installed and st.button(
        f"Pull {advice.tier.model}",
        type="primary",
        key="pull_recommended",
        icon=":material/download:",
        disabled=busy,
    ):
        ask_or_pull(advice.tier.model, machine)
    confirm_pull(machine)
    progress = st.container()  # the running pull, drawn last (see follow_pull)
    _listing(machine, rows, installed, usable, busy)
    follow_pull(progress)


def _listing(
    machine: Hardware, rows: list[ModelRow], installed: set[str], usable: bool, busy: bool
) -> None:
    """The memory chart; with Ollama up, the installed models, pull, delete and unload."""
    # --- memory chart ------------------------------------------------------------
    st.subheader("Memory each model needs")
    chart_rows = [
        {
            "model": row.name,
            "needed_gb": row.estimate.total / GB,
            "kind": "installed",
            "verdict": row.verdict,
        }
        for row in rows
        if row.estimate
    ] + [
        {
            "model": tier.model,
            "needed_gb": tier.estimate().total / GB,
            "kind": "recommended tiers",
            "verdict": fit(tier.estimate(), machine).verdict,
        }
        for tier in TIERS
        if tier.model not in installed
    ]
    memory_chart(chart_rows, machine)

    if not usable:
        return

    # --- local models ------------------------------------------------------------
    st.subheader(f"Installed models ({len(rows)})")
    if rows:
        table = pd.DataFrame(
            [
                {
                    "Model": row.name,
                    "Size": format_bytes(row.size),
                    "Family": row.family,
                    "Parameters": row.parameters,
                    "Quantization": row.quantization,
                    "Context": f"{row.context_length:,}" if row.context_length else "?",
                    "Needs": format_bytes(row.estimate.total) if row.estimate else "?",
                    "Fit": row.verdict,
                }
                for row in rows
            ]
        )
        st.dataframe(table, hide_index=True, width="stretch")
        with st.expander("Inspect a model", icon=":material/search:"):
            chosen = st.selectbox("Model", sorted(installed), key="inspect_model")
            row = next(r for r in rows if r.name == chosen)
            if row.fit:
                st.write(row.fit.explanation)
            st.json(row.to_dict(), expanded=True)
    else:
        st.info("No models installed yet: pull the recommended one above, or any model below.")

    # --- pull any model ----------------------------------------------------------
    st.subheader("Pull a model")
    with st.form("pull_form", clear_on_submit=False, border=False):
        name = st.text_input(
            "Model name",
            placeholder="e.g. llama3.2:3b",
            help="Names from https://ollama.com/library",
        )
        submitted = st.form_submit_button("Pull", icon=":material/download:", disabled=busy)
    if submitted:
        if not name.strip():
            st.warning("Type a model name first, e.g. llama3.2:3b.")
        else:
            ask_or_pull(name.strip(), machine)

    # --- delete ------------------------------------------------------------------
    if rows:
        st.subheader("Delete a model")
        target = st.selectbox("Model to delete", sorted(installed), key="delete_model")
        if st.button("Delete…", key="delete_ask", icon=":material/delete:"):
            st.session_state.confirm_delete = target
        pending = st.session_state.get("confirm_delete")
        if pending:
            size = next((r.size for r in rows if r.name == pending), 0)
            st.warning(
                f"Delete **{pending}**? This frees {format_bytes(size)}; pull it to get it back."
            )
            yes, no = st.columns(2)
            if yes.button(f"Yes, delete {pending}", key="delete_yes", type="primary"):
                st.session_state.confirm_delete = None

                def delete() -> None:
                    with client() as c:
                        c.delete(pending)
                    refresh()

                if guarded(delete):
                    st.session_state.deleted = pending
                    st.rerun()
            if no.button("Keep it", key="delete_no"):
                st.session_state.confirm_delete = None
                st.rerun()
    if st.session_state.get("deleted"):
        st.success(f"Deleted {st.session_state.deleted}.", icon=":material/delete:")
        st.session_state.deleted = None

    # --- loaded models -----------------------------------------------------------
    st.subheader("Loaded in memory")
    try:
        running = loaded_models(ollama_host())
    except PersonaError as exc:
        show_error(exc)
        running = []
    if not running:
        st.caption("No model is loaded right now. Ollama loads one when it is used.")
    for model in running:
        left, right = st.columns([4, 1])
        gpu = model.gpu_fraction
        split = (
            "100% GPU"
            if gpu >= 0.999
            else ("100% CPU" if gpu == 0 else f"{gpu:.0%} GPU / {1 - gpu:.0%} CPU")
        )
        expires = f", unloads at {model.expires_at:%H:%M}" if model.expires_at else ""
        left.write(f"**{model.name}** — {format_bytes(model.size)}, {split}{expires}")
        if right.button("Unload", key=f"unload_{model.name}"):

            def unload(name: str = model.name) -> None:
                with client() as c:
                    c.unload(name)
                refresh()

            if guarded(unload):
                st.rerun()
