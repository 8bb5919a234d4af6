"""The interviewer of each meeting transcript upload (.vtt, .srt, timestamped .txt): detected,
shown, and changeable, "nobody" included. Their turns are context, never quoted."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from persona.api.reading import file_speakers
from persona.core.errors import PersonaError
from persona.dashboard.ui.text import safe, safe_line
from persona.types import Speakers

NOBODY = ""


def interviewer_choices(uploads: Sequence[Any], *, key: str) -> dict[str, str]:
    """The interviewer chosen for each transcript upload where it differs from the one
    detected, by file name ("" for nobody)."""
    found = [(f, s) for f in uploads if (s := _speakers(f)) is not None]
    if not found:
        return {}
    st.subheader("Interviewers")
    st.caption(
        "In a meeting transcript, the interviewer's turns are context for the model and never "
        "quoted as evidence. Change the choice if the detected one is wrong; choose nobody "
        "to quote every speaker."
    )
    chosen: dict[str, str] = {}
    for upload, speakers in found:
        options = [*speakers.names, NOBODY]
        picked = st.selectbox(
            f"Interviewer in {safe_line(upload.name)}",
            options,
            index=options.index(speakers.detected.name),
            format_func=_label,
            key=f"interviewer_{key}_{upload.file_id}",
            help=f"Detected: {safe(speakers.detected.name or 'nobody')} "
            f"({safe(speakers.detected.reason)}).",
        )
        if (picked or NOBODY) != speakers.detected.name:  # else the report says why detected
            chosen[upload.name] = picked or NOBODY
    return chosen


def _label(name: str) -> str:
    """An option as shown: options are plain text (never Markdown), so names stay as written."""
    return name or "Nobody: quote every speaker"


def _speakers(upload: Any) -> Speakers | None:
    cache_key = f"speakers_{upload.file_id}"
    if cache_key not in st.session_state:
        try:
            st.session_state[cache_key] = file_speakers(upload.name, upload.getvalue())
        except PersonaError:
            st.session_state[cache_key] = None  # the file report below says why
    speakers: Speakers | None = st.session_state[cache_key]
    return speakers
