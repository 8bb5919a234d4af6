"""Pulling an Ollama model in the background: the fit check first, then a live bar (percent,
bytes, speed, time left) with Stop, surviving reruns and page changes.

The download is a :class:`persona.api.jobs.Worker` kept in the session (see
:mod:`persona.dashboard.ui.jobs`): one pull per session at a time. Its outcome is reported
once, on the Hardware & models page, the next time it is drawn.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from persona.api.display import format_bytes
from persona.api.engines import fit, track_pull
from persona.dashboard.ui.errors import failed
from persona.dashboard.ui.jobs import (
    POLL_S,
    current_job,
    finish_job,
    job_running,
    start_job,
)
from persona.dashboard.ui.resources import client, refresh
from persona.dashboard.ui.text import safe_line
from persona.types import TIERS, Fit, Hardware

JOB = "pull"
PULLING = "pull_model"
"""Session state: the model being (or last) pulled."""
CONFIRM = "confirm_pull"
"""Session state: the model waiting for "pull it anyway" (it will probably not fit)."""


def tier_fit(name: str, machine: Hardware) -> Fit | None:
    """The fit verdict of a model Persona knows the size of before pulling it (the tiers)."""
    tier = next((t for t in TIERS if t.model == name), None)
    return fit(tier.estimate(), machine) if tier else None


def pulling() -> bool:
    """Whether a pull of this session is running (the pull buttons are drawn disabled)."""
    return job_running(JOB)


def ask_or_pull(name: str, machine: Hardware) -> None:
    """Pull ``name`` in the background, unless the fit verdict says it will not fit: then
    ask first (:func:`confirm_pull`)."""
    verdict = tier_fit(name, machine)
    if verdict is not None and verdict.verdict == "won't fit":
        st.session_state[CONFIRM] = name
        st.rerun()
    _start(name)


def confirm_pull(machine: Hardware) -> None:
    """The question for a model that will probably not fit, while one is pending."""
    pending = st.session_state.get(CONFIRM)
    verdict = tier_fit(pending, machine) if pending else None
    if not pending or verdict is None:
        return
    st.warning(
        f"**{pending} will probably not fit this machine.** It needs about "
        f"{format_bytes(verdict.needed)}, and {format_bytes(verdict.available)} of "
        f"{machine.memory_kind} is usable: it may fail to load, or run very slowly. "
        "Pull it anyway?",
        icon=":material/warning:",
    )
    yes, no = st.columns(2)
    if yes.button(f"Pull {pending} anyway", key="pull_anyway", disabled=pulling()):
        st.session_state[CONFIRM] = None
        _start(pending)
    if no.button("Don't pull", key="pull_cancel_ask"):
        st.session_state[CONFIRM] = None
        st.rerun()


def _start(name: str) -> None:
    if pulling():  # one download at a time: a late second click starts nothing
        return
    c = client()  # the job's own connection, closed when the download ends
    st.session_state[PULLING] = name
    start_job(JOB, lambda: track_pull(c.pull(name), name), cleanup=c.close)
    st.rerun()  # the pull buttons show disabled while it runs


def report_pull() -> None:
    """How the last pull ended, once; the listings are read again so the model shows."""
    job = finish_job(JOB)
    if job is None:
        return
    refresh()
    name = safe_line(str(st.session_state.get(PULLING, "The model")))
    if failed(job):
        return
    if job.state == "stopped":
        st.info(
            f"Download of {name} stopped. Pull it again to resume where it stopped.",
            icon=":material/stop_circle:",
        )
    else:
        st.success(f"{name} is installed and ready.", icon=":material/check_circle:")


def follow_pull(slot: DeltaGenerator) -> None:
    """The running pull in ``slot``, live, until it ends; then the page is drawn again with
    its outcome (:func:`report_pull`). Call it last: the page is drawn above it."""
    job = current_job(JOB)
    if job is None:
        return
    if job.done:  # it ended after report_pull() looked: report it, buttons enabled
        st.rerun()
    name = safe_line(str(st.session_state.get(PULLING, "")))
    box = slot.container(border=True)
    box.write(f"Downloading **{name}**")
    stopping = job.state == "stopping"
    box.button(
        "Stopping…" if stopping else "Stop download",
        key="stop_pull",
        icon=":material/stop_circle:",
        disabled=stopping,
        on_click=job.stop,
        help="Ends the download; pulling the model again resumes where it stopped.",
    )
    bar = box.progress(0.0, text="Starting…")
    while not job.done:
        job.wait(POLL_S)
        step = job.steps[-1] if job.steps else None
        if step is not None:  # each redraw is also where a click (Stop) interrupts
            text = " · ".join([safe_line(step.message), *step.details()])
            bar.progress(min(step.fraction or 0.0, 1.0), text=text)
        else:
            bar.progress(0.0, text="Starting…")
    st.rerun()
