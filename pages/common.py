"""Helpers the pages share: cached Ollama look-ups, friendly errors, persona cards."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from persona.catalogue import recommend
from persona.errors import ModelNotFound, OllamaUnreachable, PersonaError
from persona.export import SECTION_TITLES, export
from persona.hardware import Hardware, detect_hardware
from persona.inventory import ModelRow, OllamaStatus, check_ollama, install_steps, model_rows
from persona.ollama import OllamaClient, RunningModel
from persona.readers import Reading, read_files
from persona.run import Run
from persona.schema import CLAIM_SECTIONS, Evidence, Persona
from persona.settings import Settings, resolve_ollama_host
from persona.store import Store

LISTING_TTL_S = 10
"""Ollama listings are cached this long so reruns do not hammer the server."""


def ollama_host() -> str:
    return resolve_ollama_host()


def client() -> OllamaClient:
    return OllamaClient(ollama_host())


@st.cache_data(ttl=60, show_spinner=False)
def hardware() -> Hardware:
    return detect_hardware()


@st.cache_data(ttl=LISTING_TTL_S, show_spinner=False)
def ollama_status(host: str) -> OllamaStatus:
    with OllamaClient(host) as c:
        return check_ollama(c)


@st.cache_data(ttl=LISTING_TTL_S, show_spinner=False)
def local_models(host: str) -> list[ModelRow]:
    with OllamaClient(host) as c:
        return model_rows(c, detect_hardware())


@st.cache_data(ttl=LISTING_TTL_S, show_spinner=False)
def loaded_models(host: str) -> list[RunningModel]:
    with OllamaClient(host) as c:
        return c.ps()


def refresh() -> None:
    """Forget cached listings after an action changed what Ollama holds."""
    ollama_status.clear()
    local_models.clear()
    loaded_models.clear()


@st.cache_resource(show_spinner=False)
def store() -> Store:
    return Store()


def show_error(exc: PersonaError, *, retry_key: str | None = None) -> None:
    """A friendly, specific message with the next step; never a traceback."""
    if not isinstance(exc, OllamaUnreachable):
        st.error(str(exc), icon=":material/warning:")
    show_next_step(exc, retry_key=retry_key)


def show_next_step(exc: PersonaError, *, retry_key: str | None = None) -> None:
    """What to do about errors that have a fix on another page or outside Persona."""
    if isinstance(exc, OllamaUnreachable):
        ollama_down(exc.host, retry_key=retry_key)
    elif isinstance(exc, ModelNotFound):
        st.page_link(
            "pages/models.py",
            label=f"Pull {exc.model} on Hardware & models",
            icon=":material/memory:",
        )


def ollama_down(host: str, *, retry_key: str | None = "retry_ollama") -> None:
    """Ollama is not running: say how to install and start it, and offer a Retry."""
    steps = "\n".join(f"{i}. {step}" for i, step in enumerate(install_steps(), start=1))
    st.error(
        f"**Ollama is not running** (nothing answers at `{host}`). Persona needs it to run "
        f"models on this machine.\n\n{steps}",
        icon=":material/power_off:",
    )
    if retry_key and st.button("Retry", key=retry_key, icon=":material/refresh:"):
        refresh()
        st.rerun()


def guarded(action: Callable[[], object], *, retry_key: str | None = None) -> bool:
    """Run ``action``; show a `PersonaError` as a friendly message. True when it worked."""
    try:
        action()
    except PersonaError as exc:
        show_error(exc, retry_key=retry_key)
        return False
    return True


def _badge(evidence: Evidence) -> str:
    if evidence.verified is True:
        return "✅ found in your data"
    if evidence.verified is False:
        return "⚠️ not found in your data"
    return "… not checked yet"


def _where(evidence: Evidence) -> str:
    source = evidence.matched_source or evidence.source
    locator = evidence.matched_locator or evidence.locator
    return ", ".join(part for part in (source, locator) if part) or "source not given"


def render_evidence(evidence: Evidence) -> None:
    """A quote, its badge, and (on click) the passage it was found in."""
    st.markdown(f"> “{html.escape(evidence.quote)}”  \n> — {_where(evidence)} · {_badge(evidence)}")
    if evidence.verified and evidence.matched_text:
        with st.popover("Show the passage", icon=":material/search:"):
            st.caption(_where(evidence))
            st.write(evidence.matched_text)
    elif evidence.verified is False:
        st.caption(
            "This quote was not found in the uploaded files: the model may have paraphrased or "
            "invented it. Treat the claim with care."
        )


def render_persona(persona: Persona, *, key: str) -> None:
    """A persona card: who they are, their quote, and every claim with its evidence."""
    with st.container(border=True, key=f"card_{key}"):
        st.subheader(persona.name)
        st.caption(f"{persona.role} · {persona.age}")
        st.markdown(f"### “{html.escape(persona.quote.quote)}”")
        st.caption(f"{_where(persona.quote)} · {_badge(persona.quote)}")
        st.write(persona.bio)
        if persona.participants:
            st.caption("Based on: " + ", ".join(persona.participants))
        for section in CLAIM_SECTIONS:
            claims = getattr(persona, section)
            if not claims:
                continue
            st.markdown(f"**{SECTION_TITLES[section]}**")
            for number, claim in enumerate(claims, start=1):
                checked = [e.verified for e in claim.evidence]
                mark = "✅" if checked and all(checked) else ("⚠️" if checked else "❔")
                with st.expander(f"{mark} {claim.text}", key=f"{key}_{section}_{number}"):
                    if not claim.evidence:
                        st.caption("No quote supports this claim.")
                    for evidence in claim.evidence:
                        render_evidence(evidence)


STATUS_LABELS = {
    "complete": "✅ complete",
    "partial": "⚠️ finished with warnings",
    "failed": "❌ failed",
    "running": "⏳ running",
    "interrupted": "⏹️ interrupted",
}


def render_downloads(run: Run, *, key: str) -> None:
    """JSON, Markdown and CSV of the run, side by side."""
    cols = st.columns(3)
    for col, (fmt, label) in zip(
        cols, (("json", "JSON"), ("md", "Markdown"), ("csv", "CSV")), strict=True
    ):
        name, data, mime = export(run, fmt)
        col.download_button(
            f"Download {label}",
            data,
            file_name=name,
            mime=mime,
            key=f"dl_{fmt}_{key}",
            icon=":material/download:",
            on_click="ignore",
        )


def render_run(run: Run, *, key: str) -> None:
    """A saved run: what it was, how it went, its personas and its exports."""
    files = ", ".join(f.name for f in run.files) or "no files"
    st.caption(
        f"{run.created_at:%Y-%m-%d %H:%M} UTC · {run.model} · {files} · "
        f"{STATUS_LABELS.get(run.status, run.status)}"
    )
    if run.message:
        (st.error if run.status == "failed" else st.warning)(run.message)
    if run.raw_answers:
        with st.expander(
            "The model's unusable answers (kept for inspection)", icon=":material/receipt_long:"
        ):
            for number, raw in enumerate(run.raw_answers, start=1):
                st.caption(f"Answer {number}")
                st.code(raw or "(empty)", language="json", wrap_lines=True)
    if not run.records:
        return
    st.info(run.verified_summary, icon=":material/search:")
    render_downloads(run, key=key)
    columns = st.columns(min(len(run.records), 3))
    for index, record in enumerate(run.records):
        with columns[index % len(columns)]:
            render_persona(record.current, key=f"{key}_{index}")


def read_uploads(files: Sequence[Any], *, key: str) -> Reading:
    """Read uploaded files once per set of files (reruns reuse the result)."""
    signature = tuple((f.file_id, f.name, f.size) for f in files)
    cached = st.session_state.get(f"reading_{key}")
    if cached and cached[0] == signature:
        return cached[1]
    limit = Settings().max_file_bytes
    reading = read_files([(f.name, f.getvalue()) for f in files], max_bytes=limit)
    st.session_state[f"reading_{key}"] = (signature, reading)
    return reading


def render_reading(reading: Reading) -> None:
    """The per-file report: what was read, how much, and every warning or error."""
    st.subheader("What was read")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "File": r.name,
                    "Status": "✅ read" if r.ok else "❌ not read",
                    "Type": r.kind,
                    "Rows / lines": r.rows,
                    "Characters": r.characters,
                    "≈ Tokens": r.tokens,
                    "Notes": r.error or " ".join(r.warnings),
                }
                for r in reading.reports
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    for report in reading.failed:
        st.error(f"**{report.name}** was not read: {report.error}", icon=":material/description:")
    for report in reading.reports:
        for warning in report.warnings:
            st.warning(f"**{report.name}**: {warning}", icon=":material/info:")
    if reading.ok_count:
        st.caption(
            f"{reading.ok_count} of {len(reading.reports)} files read · "
            f"{len(reading.passages):,} passages · ≈ {reading.total_tokens:,} tokens"
        )


def uploaded_reading(*, key: str, label: str, help: str) -> Reading | None:
    """The file uploader, and the per-file report of what was read from it."""
    uploads = st.file_uploader(label, accept_multiple_files=True, key=f"uploads_{key}", help=help)
    if not uploads:
        return None
    reading = read_uploads(uploads, key=key)
    render_reading(reading)
    return reading


def installed_models(*, retry_key: str) -> list[str]:
    """Installed model names; when Ollama is down or empty, says what to do instead."""
    status = ollama_status(ollama_host())
    if not status.reachable:
        ollama_down(status.host, retry_key=retry_key)
        return []
    try:
        models = [row.name for row in local_models(ollama_host())]
    except PersonaError as exc:
        show_error(exc)
        return []
    if not models:
        st.warning(
            "No models are installed in Ollama yet: pull one on the Hardware & models page.",
            icon=":material/download:",
        )
        st.page_link("pages/models.py", label="Go to Hardware & models", icon=":material/memory:")
    return models


def pick_model(label: str, models: list[str]) -> str | None:
    """A select box of ``models`` with the one recommended for this machine preselected."""
    recommended = recommend(hardware()).tier.model
    return st.selectbox(
        label,
        models,
        index=models.index(recommended) if recommended in models else 0,
        disabled=not models,
        placeholder="No models installed",
        help=f"Recommended for this machine: {recommended}",
    )
