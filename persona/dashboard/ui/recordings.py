"""Recordings among the uploads: transcribed in the background, then reviewed.

The estimate comes before the work (long work is confirmed), the transcription runs as a
:class:`persona.core.background.Worker` with progress, time left and Stop, and each transcript
is shown for review: the researcher marks the interviewer's segments and fixes words, and
the review is kept with the transcript (in the data folder, by the recording's SHA-256).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from persona.api.recordings import (
    describe_estimate,
    is_recording,
    keep_transcript,
    kept_revision,
    kept_transcript,
    needs_confirmation,
    open_recording,
    pending,
    timestamp,
    transcribe,
)
from persona.core.errors import InputError, PersonaError
from persona.dashboard.ui.errors import failed, show_error
from persona.dashboard.ui.jobs import finish_job, follow_job, job_running, start_job
from persona.dashboard.ui.text import safe, safe_line
from persona.types import Recording, Transcript

COLUMNS = {"start": "Start", "end": "End", "interviewer": "Interviewer", "text": "Text"}


def _opened(files: Sequence[Any], key: str) -> list[Recording]:
    """The uploaded recordings that can be transcribed (opened once per upload); the others
    are reported with the reading, which says why."""
    cache: dict[str, Recording | None] = st.session_state.setdefault(f"recordings_{key}", {})
    found = []
    for file in files:
        if file.file_id not in cache:
            try:
                cache[file.file_id] = open_recording(file.name, file.getvalue())
            except InputError:
                cache[file.file_id] = None
        if (recording := cache[file.file_id]) is not None:
            found.append(recording)
    return found


def recordings_step(uploads: Sequence[Any], *, key: str, disabled: bool) -> tuple[bool, str]:
    """Transcribe and review the uploaded recordings. Returns whether a transcription is
    running (the page waits for it) and a revision of their transcripts (for the reading)."""
    recordings = _opened([f for f in uploads if is_recording(f.name)], key)
    if not recordings:
        return False, ""
    job_key = f"transcribe_{key}"
    busy = job_running(job_key)
    st.subheader("Recordings")
    todo = pending(recordings)
    if todo and not busy:
        estimate = describe_estimate(todo)
        long = needs_confirmation(todo)
        where = "Transcribed on this machine with Whisper base: nothing is sent anywhere."
        if long:
            st.warning(f"{safe(estimate)} {where}", icon=":material/schedule:")
        else:
            st.caption(f"{safe(estimate)} {where}")
        agreed = not long or st.checkbox(
            "Yes, transcribe now (you can stop at any time)", key=f"agree_{job_key}"
        )
        if st.button(
            "Transcribe",
            icon=":material/graphic_eq:",
            disabled=disabled or not agreed,
            key=f"start_{job_key}",
        ):
            start_job(job_key, lambda: transcribe(todo))
            st.rerun()
    follow_job(job_key, label="Transcribing recordings…")
    if (job := finish_job(job_key)) is not None and not failed(job) and job.state == "stopped":
        st.info(
            "Stopped. Recordings finished before the stop are kept; the one being "
            "transcribed was not kept.",
            icon=":material/stop_circle:",
        )
    for recording in recordings:
        transcript = kept_transcript(recording.sha256, name=recording.name)
        if transcript is not None and transcript.segments:
            _review(transcript, key=key, disabled=disabled or busy)
    return busy, kept_revision([r.sha256 for r in recordings])


def _review(transcript: Transcript, *, key: str, disabled: bool) -> None:
    """The transcript's segments: mark the interviewer's, fix words, save with it."""
    with st.expander(f"Transcript of {safe_line(transcript.name)}", icon=":material/mic:"):
        st.caption(safe(transcript.summary()))
        st.info(safe(transcript.no_speakers_note), icon=":material/record_voice_over:")
        table = pd.DataFrame(
            [
                {
                    "start": timestamp(s.start),
                    "end": timestamp(s.end),
                    "interviewer": s.interviewer,
                    "text": s.text,
                }
                for s in transcript.segments
            ]
        )
        edited = st.data_editor(
            table,
            key=f"review_{key}_{transcript.sha256}",
            hide_index=True,
            num_rows="fixed",
            disabled=["start", "end"] if not disabled else True,
            width="stretch",
            column_config={
                "start": st.column_config.TextColumn(COLUMNS["start"], width="small"),
                "end": st.column_config.TextColumn(COLUMNS["end"], width="small"),
                "interviewer": st.column_config.CheckboxColumn(
                    COLUMNS["interviewer"],
                    help="The interviewer's segments are context for the model, never quoted.",
                ),
                "text": st.column_config.TextColumn(
                    COLUMNS["text"], help="Fix what was misheard; the quote uses your words."
                ),
            },
        )
        if st.button(
            "Save review",
            key=f"save_{key}_{transcript.sha256}",
            icon=":material/save:",
            disabled=disabled,
        ):
            try:
                reviewed = transcript.reviewed(
                    [bool(v) for v in edited["interviewer"]], [str(v) for v in edited["text"]]
                )
            except PersonaError as exc:
                show_error(exc)
            else:
                keep_transcript(reviewed)
                st.rerun()  # the reading picks the review up
