"""Resume an interrupted run with one click: only the calls that are missing.

The run's files are read again from its study (``api.resume``), so nothing is uploaded.
The resumed run goes on in the background like a generation (:mod:`persona.dashboard.ui.jobs`): with
progress, time left and Stop, surviving reruns and page changes; History and Generate
share it (one resume per session at a time).
"""

from __future__ import annotations

from contextlib import ExitStack

import streamlit as st

from persona import api
from persona.core.errors import PersonaError
from persona.dashboard.ui.errors import failed, show_error
from persona.dashboard.ui.jobs import finish_job, follow_job, job_running, start_job
from persona.dashboard.ui.resources import current_engine, store
from persona.dashboard.ui.text import safe_line
from persona.types import RESUMABLE, Run, RunListing

JOB = "resume"
RESUMED = "resumed_run"
"""Session state: the ID of the run being (or last) resumed."""


def resumable(study: str | None) -> list[Run]:
    """The runs of ``study`` (None: every study) that can be resumed, newest first."""
    listed: list[RunListing] = store().list(limit=20, statuses=RESUMABLE, study=study)
    runs = [store().get(s.id) for s in listed]
    return [run for run in runs if api.can_resume(run, store())]


def resume_button(run: Run, *, key: str) -> None:
    """The Resume button of ``run`` when it can be resumed; a click starts it in the background."""
    if job_running(JOB) or not api.can_resume(run, store()):
        return
    st.caption(
        f"{safe_line(run.title)} stopped before its personas were written. The findings of "
        "the parts read before it stopped are saved: resuming makes only the calls that are "
        "missing, from the study's files."
    )
    if st.button(
        "Resume this run", key=f"resume_{key}_{run.id}", type="primary", icon=":material/replay:"
    ):
        _start(run.id)


def _start(run_id: str) -> None:
    scope = ExitStack()  # the engine stays open while the resumed run uses it
    try:
        engine = scope.enter_context(current_engine())
        generation = api.resume(run_id, engine=engine, store=store())
    except PersonaError as exc:
        scope.close()
        show_error(exc, retry_key=f"retry_resume_{run_id}")
        return
    st.session_state[RESUMED] = run_id
    start_job(JOB, lambda: iter(generation), cleanup=scope.close)
    st.rerun()


def follow_resume() -> str | None:
    """The resume in progress, live (progress, time left, Stop), then how it ended.
    Returns the ID of the run resumed in this session, if any."""
    follow_job(JOB, label="Resuming the run…")
    job = finish_job(JOB)
    if job is not None and not failed(job, retry_key="retry_after_resume"):
        st.success("The run was resumed: its personas are below.", icon=":material/check:")
    run_id = st.session_state.get(RESUMED)
    return str(run_id) if run_id else None
