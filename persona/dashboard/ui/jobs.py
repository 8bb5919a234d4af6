"""Following a long run on a page: live progress, elapsed time and ETA, a Stop button.

The run itself is a :class:`persona.core.background.Worker` kept in the session, so reruns
(a click anywhere, visiting another page) neither abandon it nor start it twice: the page
that started it picks it up again. A closed tab stops it (see :func:`session_alive`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from persona.api.display import format_duration
from persona.api.jobs import Worker
from persona.dashboard.ui.cards import render_persona
from persona.dashboard.ui.text import safe, safe_line
from persona.types import Progress

POLL_S = 0.25
"""How often the page redraws the elapsed time while waiting for events."""


def session_alive() -> Callable[[], bool]:
    """A check, safe from any thread, that this browser session is still connected."""
    ctx = get_script_run_ctx()
    if ctx is None or not Runtime.exists():
        return lambda: True
    runtime, session_id = Runtime.instance(), ctx.session_id
    return lambda: runtime.is_active_session(session_id)


def start_job(
    key: str,
    events: Callable[[], Iterator[Progress]],
    *,
    cleanup: Callable[[], None] | None = None,
) -> Worker:
    """Start ``events`` in the background for this session, under ``key``.

    ``cleanup`` runs in the worker when the job ends (close the engine's connections).
    """
    job = Worker(events, name=f"persona-{key}", alive=session_alive(), cleanup=cleanup)
    st.session_state[f"job_{key}"] = job
    return job


def current_job(key: str) -> Worker | None:
    """This session's job under ``key``, running or finished and not yet reported."""
    job = st.session_state.get(f"job_{key}")
    return job if isinstance(job, Worker) else None


def job_running(key: str) -> bool:
    """Whether this session's job under ``key`` is running; the page draws its inputs
    disabled when it is (:func:`follow_job` redraws them once the job ends)."""
    job = current_job(key)
    running = job is not None and not job.done
    st.session_state[f"drawn_busy_{key}"] = running
    return running


def finish_job(key: str) -> Worker | None:
    """The finished job under ``key``, forgotten: its outcome is reported once."""
    job = current_job(key)
    if job is None or not job.done:
        return None
    del st.session_state[f"job_{key}"]
    return job


def timing(job: Worker) -> str:
    """``Elapsed 1:05 · about 2:10 left`` (the ETA when the run estimated one)."""
    text = f"Elapsed {format_duration(job.elapsed)}"
    if job.eta is not None:
        text += f" · about {format_duration(job.eta)} left"
    return text


def follow_job(
    key: str,
    *,
    label: str,
    stop_help: str = "Ends the model's current answer; the personas made so far are kept.",
) -> None:
    """Show the job under ``key`` live until it ends, then rerun to show its outcome.

    Stop ends the job (for a run: the model's current request; what was made is kept). Each
    persona appears above the steps as soon as it is written and checked.
    """
    job = current_job(key)
    if job is None:
        return
    if job.done:
        # it ended between the top of this run and here (a Stop is that quick): the inputs
        # were drawn disabled, so draw the page again with them enabled
        if st.session_state.pop(f"drawn_busy_{key}", False):
            st.rerun()
        return
    stopping = job.state == "stopping"
    left, right = st.columns([1, 3], vertical_alignment="center")
    left.button(
        "Stopping…" if stopping else "Stop",
        key=f"stop_{key}",
        icon=":material/stop_circle:",
        disabled=stopping,
        on_click=job.stop,
        help=stop_help,
    )
    clock = right.empty()
    ready = st.container()  # each persona, as soon as it is written and checked
    with st.status("Stopping…" if stopping else label, expanded=True, state="running") as box:
        # Stages in words with their counts; what the model types is never shown here (a
        # failed run keeps its unusable answers for inspection, see persona.dashboard.ui.cards).
        steps = st.container()
        shown = 0
        while not job.done:
            job.drain(timeout=POLL_S)
            if len(job.steps) > shown:
                for number, step in enumerate(job.steps[shown:], start=shown):
                    if step.persona is not None:
                        with ready:
                            render_persona(step.persona, key=f"{key}_ready_{number}")
                    else:
                        steps.markdown(safe(step.message))
                shown = len(job.steps)
                if not stopping:
                    box.update(label=safe_line(job.steps[-1].message))
            clock.caption(timing(job))  # each redraw is also where a click interrupts
    st.rerun()
