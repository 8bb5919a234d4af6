"""Files into a study: uploads added to it (or a new study made of them), the sample study,
and what a study's files read as.

Uploads are read and previewed first (columns, interviewer, recordings: see
:func:`persona.dashboard.ui.uploads.uploaded_reading`); only "Create the study" (or Generate)
or "Add to" copies them into Persona's data folder. A failed add says what to do and leaves the
study as it was. Removing files or a study is :mod:`persona.dashboard.ui.study_manage`.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from persona import api
from persona.api.reading import sample_files
from persona.api.studies import suggest_study
from persona.core.errors import InputError, PersonaError
from persona.dashboard.ui.errors import show_error
from persona.dashboard.ui.resources import store
from persona.dashboard.ui.study import (
    ask_for_study,
    choose_study,
    current_study,
    study_names,
    unused_name,
)
from persona.dashboard.ui.text import safe, safe_line
from persona.dashboard.ui.uploads import Upload, reading_summary, uploaded_reading
from persona.types import SAMPLE_DESCRIPTION, SAMPLE_STUDY, Reading

SAMPLE_BUTTON = "Try it with a sample study"

DONE = "study_done"
"""Session state: what the last change to a study did, shown once after the rerun."""
MAX_TRIES = 5
"""Names tried for a new study whose suggested name other sessions keep taking."""
FAILED = "study_failed"
"""Session state: why the last add failed, or which files it refused and why (shown once)."""
CLASH = (
    "a file of that name with other content is already in “{study}”. Rename your file and "
    "add it again, or first remove the one in the study (Study page, Files)."
)
UPLOAD_HELP = (
    "CSV, TSV, Excel (.xlsx), JSON, JSON Lines, TXT, Markdown, PDF, Word (.docx) and meeting "
    "transcripts from Zoom, Teams, Google Meet or Otter (.vtt, .srt, .txt); recordings (.wav, "
    ".mp3, .m4a, .mp4, .mov, .webm, .ogg) are transcribed on this machine. Several at once. "
    "They are copied into Persona's data folder, so every page can use them without "
    "uploading them again."
)


def show_done() -> None:
    """The outcome of the last change (once): what was done, and each file refused."""
    if done := st.session_state.pop(DONE, ""):
        st.success(safe(done), icon=":material/check:")
    for failed in st.session_state.pop(FAILED, []):
        st.error(safe(failed), icon=":material/error:")


def _fresh(key: str) -> str:
    """The uploader's key: a new one after its files went into a study (it starts empty)."""
    done = st.session_state.get(f"{key}_round", 0)
    return f"{key}_{done}" if done else key


def _emptied(key: str) -> None:
    st.session_state[f"{key}_round"] = st.session_state.get(f"{key}_round", 0) + 1


@dataclass(frozen=True)
class Pending:
    """Uploads read and previewed, not yet in a study."""

    upload: Upload
    study: str | None
    """The study they go into; None: a new one, named :attr:`name`."""
    name: str
    files: list[tuple[str, bytes]]
    """The files that were read, as ``(name, bytes)``: only these are copied."""
    suggested: str = ""
    """The name suggested from the files, when the researcher typed none (another session
    may take it first: the new study then gets the next free one)."""


def add_files(study: str | None, *, key: str, disabled: bool = False) -> Pending | None:
    """The uploader, the preview of what its files hold, and the button that puts them in
    ``study`` (or, with no study, a name and "Create the study"). Returns the uploads while
    they are previewed, None when there are none."""
    uploader = _fresh(key)
    upload = uploaded_reading(
        key=uploader,
        label=f"Add files to “{safe_line(study)}”" if study else "Research files for a new study",
        help=UPLOAD_HELP,
        disabled=disabled,
        recordings=True,
    )
    if upload is None:
        return None
    reading = upload.reading
    name, suggested = study or "", ""
    if study is None:
        suggested = suggest_study([d.name for d in reading.documents]) or "New study"
        typed = st.text_input(
            "Study",
            placeholder=unused_name(suggested, study_names()),
            key=f"{key}_name",
            disabled=disabled,
            help="Runs, chats and searches of this study are kept under this name. Left "
            "empty: the name shown, made from the file names.",
        )
        name = " ".join(typed.split())
        if name:
            suggested = ""
        else:
            name = unused_name(suggested, study_names())
    pending = Pending(upload, study, name, _readable(reading, uploader), suggested)
    if not pending.files:
        st.warning(
            "None of these files could be read, so nothing was added"
            + (f" to “{safe_line(study)}”" if study else "")
            + ". Fix or replace them (the table above says why), or remove them from the "
            "uploader.",
            icon=":material/upload_file:",
        )
        return pending
    if reading.failed:
        st.caption(
            f"Only the files that were read go into the study; {len(reading.failed)} not "
            "read (see above) stay out."
        )
    count = f"{len(pending.files)} file{'s' if len(pending.files) != 1 else ''}"
    if st.button(
        f"Add {count} to “{safe_line(study)}”"
        if study
        else f"Create the study “{safe_line(name)}” with {count}",
        type="secondary" if study is None else "primary",
        key=f"{key}_add",
        disabled=disabled or upload.transcribing,
        icon=":material/create_new_folder:" if study is None else ":material/note_add:",
    ):
        save(pending, key=key)
        st.rerun()
    return pending


def save(pending: Pending, *, key: str) -> str | None:
    """Copy the readable uploads into their study (creating it) with the columns and
    interviewers chosen in the preview, and make it the current study; the uploader ``key``
    then starts empty. Returns the study's name, or None after saying what failed: the study
    is then as it was (a new one is not created)."""
    upload = pending.upload
    new = pending.study is None
    created = ""
    try:
        if new:
            created = new_study(pending)
        added = api.add_to_study(
            created or pending.name,
            pending.files,
            choices=upload.choices,
            interviewers=upload.interviewers,
            store=store(),
        )
    except PersonaError as exc:
        st.session_state[FAILED] = [str(exc)]
        if created:
            api.delete_study(created, store=store())
        return None
    # e.g. a file of that name with other content: said after the rerun, above the files
    st.session_state[FAILED] = [
        f"{r.name} was not added: "
        + (CLASH.format(study=added.study) if r.name in added.conflicts else r.error)
        for r in added.failed
    ]
    if not added.changed and not added.unchanged:
        if created:
            api.delete_study(added.study, store=store())
        return None
    done = []
    if new:
        done.append(f"Created the study “{added.study}” with {len(added.added)} file(s).")
    elif added.added:
        done.append(f"Added {len(added.added)} file(s) to “{added.study}”.")
    if added.replaced:
        done.append(f"Replaced {', '.join(added.replaced)}.")
    if added.unchanged:
        done.append(f"Already in the study, not added again: {', '.join(added.unchanged)}.")
    st.session_state[DONE] = " ".join(done)
    choose_study(added.study)
    if not added.failed:
        _emptied(key)  # what failed stays in the uploader, with its message
    return added.study


def new_study(pending: Pending) -> str:
    """Create the new study; returns its name. A name suggested from the files that another
    session took meanwhile becomes the next free one (a typed name that exists is refused)."""
    name = pending.name
    for _ in range(MAX_TRIES):
        try:
            return api.create_study(name, store=store()).name
        except InputError:
            if not pending.suggested:
                raise
            name = unused_name(pending.suggested, [*study_names(), name])
    return api.create_study(name, store=store()).name


def _readable(reading: Reading, uploader: str) -> list[tuple[str, bytes]]:
    """The files of the uploader that were read, as ``(name, bytes)``."""
    uploads = st.session_state.get(f"uploads_{uploader}") or []
    data = {f.name: f.getvalue() for f in uploads}
    return [(r.name, data[r.name]) for r in reading.reports if r.ok and r.name in data]


def study_reading(study: str) -> Reading | None:
    """What was read from the study's files (cached by persona), or None after saying why."""
    try:
        return api.study_reading(study, store=store())
    except PersonaError as exc:
        show_error(exc)
        return None


def page_study(work: str) -> tuple[str | None, Reading | None]:
    """The current study and what was read from it, said under the title as
    "``work`` “study”: …", or a request to choose a study first."""
    study = current_study()
    reading = study_reading(study) if study else None
    if study is None:
        ask_for_study()
    elif reading is not None:
        st.caption(f"{work} “{safe_line(study)}”: {reading_summary(reading)}.")
    return study, reading


MISSING_FILES = (
    "The files of this run are not in its study any more: add them to the study again "
    "(on the Study page) to go on."
)


def use_sample() -> bool:
    """Make the sample study shipped with Persona the current study, kept like any other
    (created the first time, its files put back if some were removed). False after saying
    what failed."""
    try:
        api.add_to_study(SAMPLE_STUDY, sample_files(), store=store())  # once: then unchanged
    except PersonaError as exc:
        show_error(exc)
        return False
    choose_study(SAMPLE_STUDY)
    return True


def offer_sample_study(*, disabled: bool = False) -> None:
    """The "Try it with a sample study" button: the sample becomes the current study."""
    if (
        st.button(
            SAMPLE_BUTTON,
            key="sample_study",
            icon=":material/science:",
            disabled=disabled,
            help=f"Keeps {SAMPLE_DESCRIPTION} shipped with Persona as a study, to see what it "
            "makes before you bring your own files.",
        )
        and use_sample()
    ):
        st.rerun()
