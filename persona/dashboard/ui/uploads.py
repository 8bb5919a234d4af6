"""The file uploader, the column preview of tables, and the report of what was read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from persona import api
from persona.api.reading import choices_to_options
from persona.api.settings import load_settings
from persona.dashboard.ui.columns import column_choices
from persona.dashboard.ui.recordings import recordings_step
from persona.dashboard.ui.speakers import interviewer_choices
from persona.dashboard.ui.text import safe, safe_line
from persona.types import Reading, TableChoice


def upload_limit_mb() -> float:
    """The largest file the dashboard accepts: Persona's limit, within Streamlit's."""
    return min(load_settings().max_file_mb, float(st.get_option("server.maxUploadSize")))


@dataclass(frozen=True)
class Upload:
    """What was read from the uploads, and the sheets and column roles it was read with."""

    reading: Reading
    choices: dict[str, TableChoice]
    interviewers: dict[str, str] = field(default_factory=dict)
    """The interviewer chosen for each transcript, by file name ("" for nobody)."""
    transcribing: bool = False
    """A transcription of the uploaded recordings is running (the page waits for it)."""


def read_uploads(
    files: Sequence[Any],
    *,
    key: str,
    choices: dict[str, TableChoice] | None = None,
    interviewers: dict[str, str] | None = None,
    transcripts: str = "",
) -> Reading:
    """Read uploaded files once per set of files, choices and ``transcripts`` (the revision
    of the recordings' transcripts): reruns reuse the result."""
    signature = (
        tuple((f.file_id, f.name, f.size) for f in files),
        repr(choices_to_options(choices)),
        repr(sorted((interviewers or {}).items())),
        transcripts,
    )
    cached = st.session_state.get(f"reading_{key}")
    if cached and cached[0] == signature:
        kept: Reading = cached[1]
        return kept
    reading = api.read_uploads(
        [(f.name, f.getvalue()) for f in files], choices=choices, interviewers=interviewers
    )
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
        st.error(
            f"**{safe_line(report.name)}** was not read: {safe(report.error)}",
            icon=":material/description:",
        )
    for report in reading.reports:
        for warning in report.warnings:
            st.warning(f"**{safe_line(report.name)}**: {safe(warning)}", icon=":material/info:")
    if reading.ok_count:
        st.caption(reading_summary(reading))


def reading_summary(reading: Reading) -> str:
    """``3 of 3 files read · 120 passages · ≈ 5,100 tokens``."""
    return (
        f"{reading.ok_count} of {len(reading.reports)} files read · "
        f"{len(reading.passages):,} passages · ≈ {reading.total_tokens:,} tokens"
    )


def uploaded_reading(
    *,
    key: str,
    label: str,
    help: str,
    disabled: bool = False,
    recordings: bool = False,
) -> Upload | None:
    """The file uploader, the column preview of its tables, and the report of what was read.

    With ``recordings``, audio and video uploads are transcribed here and reviewed first."""
    limit = upload_limit_mb()
    uploads = st.file_uploader(
        label,
        accept_multiple_files=True,
        key=f"uploads_{key}",
        help=f"{help} Up to {limit:g} MB per file.",
        disabled=disabled,
    )
    if load_settings().max_file_mb > limit:
        st.caption(
            f"PERSONA_MAX_FILE_MB allows {load_settings().max_file_mb:g} MB, but the dashboard was "
            f"started to accept uploads up to {limit:g} MB: stop it and start it again with "
            "`persona ui` to accept larger files."
        )
    if not uploads:
        return None
    transcribing, transcripts = (
        recordings_step(uploads, key=key, disabled=disabled) if recordings else (False, "")
    )
    choices = column_choices(uploads, key=key)
    interviewers = interviewer_choices(uploads, key=key)
    reading = read_uploads(
        uploads, key=key, choices=choices, interviewers=interviewers, transcripts=transcripts
    )
    render_reading(reading)
    return Upload(reading, choices, interviewers, transcribing)
