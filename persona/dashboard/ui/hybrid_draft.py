"""Hybrid drafts: made locally in the background by the engine this session chose.

Like Generate, the drafting is a job (:mod:`persona.dashboard.ui.jobs`): progress and Stop,
surviving reruns and page changes. The engine and the requests it takes at once come from
this session's settings (:func:`persona.dashboard.ui.resources.settings`), never from the
saved settings alone.
"""

from __future__ import annotations

from contextlib import ExitStack

import streamlit as st

from persona import api
from persona.api.engines import parallel_requests
from persona.core.errors import PersonaError
from persona.dashboard.ui.errors import failed, show_error
from persona.dashboard.ui.jobs import finish_job, follow_job, start_job
from persona.dashboard.ui.resources import current_engine, settings, store

JOB = "hybrid_draft"
RUN = "hy_run"
"""Session state: the ID of the hybrid run drafted in this session."""


def start_draft(study: str, model: str, *, count: int, context: str, frontier_model: str) -> None:
    """Draft ``count`` personas from the files of ``study`` in the background."""
    st.session_state[RUN] = None
    scope = ExitStack()  # the engine stays open while the drafting uses it
    try:
        engine = scope.enter_context(current_engine())
        generation = api.generate(
            None,  # the study's files, read with its saved choices (recorded with the run)
            model,
            count=count,
            engine=engine,
            store=store(),
            frontier_model=frontier_model,
            study=study,
            context=context,
            parallel=parallel_requests(settings(), engine),
        )
    except PersonaError as exc:
        scope.close()
        show_error(exc, retry_key="retry_hybrid_draft")
        return
    st.session_state[RUN] = generation.run.id
    start_job(JOB, lambda: iter(generation), cleanup=scope.close)
    st.rerun()  # the inputs show disabled while the drafting uses the engine


def follow_draft(where: str) -> None:
    """The drafting in progress (``where``: the engine's place, as Markdown), live, then how
    it ended (once)."""
    follow_job(JOB, label=f"Drafting {where}…")
    job = finish_job(JOB)
    if job is not None:
        failed(job, retry_key="retry_hybrid_draft")
