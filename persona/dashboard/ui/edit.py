"""Edit a persona by hand, and the track changes of its edited versions.

The form changes the wording (name, age, role, bio, each statement) and, per statement, the
passages it cites, picked from the study's passages: a quote is never typed, it is the
passage's words. Saving makes a new version (:func:`persona.api.edit`), checked like every
version; the page shows what changed and the verdict. Without the study's text at hand the
wording can still be edited, and the form asks for the run's files to cite new passages.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from persona import api
from persona.api.display import to_html, word_diff
from persona.api.edits import claim_keys, field_changes
from persona.api.reading import choices_from_options
from persona.api.verdicts import persona_status
from persona.core.errors import InputError, PersonaError
from persona.dashboard.ui.errors import show_error
from persona.dashboard.ui.resources import store
from persona.dashboard.ui.text import safe, safe_line
from persona.dashboard.ui.uploads import read_uploads
from persona.types import (
    CLAIM_SECTIONS,
    MAX_CITED,
    SECTION_NAMES,
    SECTION_TITLES,
    ClaimEdit,
    Evidence,
    FieldChange,
    Passage,
    PersonaEdit,
    PersonaRecord,
    Run,
)

SAVED = "edit_saved_{}"
"""Session-state key (per form ``key``) of the last edit saved there: (run ID, index, edit)."""
EDITOR = "editor_{key}_{index}"
"""Session-state key of an "Edit this persona" expander: True while it is open."""
FIRST_WORDS = 8


def track_changes(changes: Sequence[FieldChange], *, nothing: str = "") -> None:
    """Each changed field or statement with its words struck out or added (text escaped);
    ``nothing`` is said when nothing changed (else a plain "No changes.")."""
    shown = [c for c in changes if c.status != "unchanged"]
    if not shown and nothing:
        st.info(nothing, icon=":material/check:")
    elif not shown:
        st.caption("No changes.")
    for change in shown:
        st.markdown(f"**{safe_line(change.label)}** · {safe(change.status)}")
        st.markdown(to_html(word_diff(change.before, change.after)), unsafe_allow_html=True)


def render_edits(record: PersonaRecord, *, key: str) -> None:
    """The latest hand edit of a persona against the version before it, if it was edited."""
    if not record.edits:
        return
    count = len(record.edits)
    with st.expander(
        f"Track changes: {safe_line(record.current.name)}, edited by hand "
        f"({count} edit{'s' if count != 1 else ''})",
        icon=":material/difference:",
        key=f"edits_{key}",
    ):
        st.caption("The latest edit against the version before it; every version is kept.")
        track_changes(field_changes(record.before_edit, record.current))


def _words(text: str) -> str:
    words = text.split()
    return " ".join(words[:FIRST_WORDS]) + ("…" if len(words) > FIRST_WORDS else "")


def passage_label(passage: Passage) -> str:
    """``P12 · Maria · line 3 · I plan every meal…`` (options show plain text)."""
    who = passage.participant or passage.source
    return " · ".join(part for part in (passage.id, who, passage.locator, _words(passage.text)))


def _quote_label(key: str, evidence: Evidence) -> str:
    where = ", ".join(part for part in (evidence.source, evidence.locator) if part)
    return " · ".join(part for part in (key, where, _words(evidence.quote)) if part)


def _study_passages(run: Run, key: str) -> list[Passage] | None:
    """The study's passages, or None after saying how to get them (uploading the files)."""
    passages = api.study_passages(run, store=store())  # the run's study, or its kept copy
    if passages is not None:
        return passages
    names = ", ".join(f.name for f in run.files) or "its files"
    st.info(
        "To cite passages, Persona needs this study's text, and the run's files are not in "
        f"its study any more: upload them again ({safe(names)}); they are checked against "
        "their fingerprints and not saved. "
        "Wording and removing quotes work without them.",
        icon=":material/upload_file:",
    )
    files = st.file_uploader("The run's files", accept_multiple_files=True, key=f"edit_files_{key}")
    if not files:
        return None
    reading = read_uploads(
        files,
        key=f"edit_{key}",
        choices=choices_from_options({"columns": run.options.columns}),
        interviewers=run.options.interviewers,
    )
    try:
        return api.study_passages(run, reading)
    except InputError as exc:
        st.error(safe(exc), icon=":material/fingerprint:")
        return None


def render_editor(run: Run, index: int, *, key: str) -> None:
    """The "Edit this persona" form of persona ``index``; saving reruns the page."""
    record = run.records[index]
    persona = record.current
    form_key = f"edit_{key}_{index}_{len(record.edits)}"  # a saved edit starts a fresh form
    editor = st.expander(
        f"Edit this persona: {safe_line(persona.name)}",
        icon=":material/edit:",
        key=EDITOR.format(key=key, index=index),
        on_change="rerun",
    )
    if not editor.open:  # built when opened: a closed form cost every rerun its passages
        return
    with editor:
        passages = _study_passages(run, f"{key}_{index}")
        citable = {p.id: p for p in passages or [] if p.citable}
        with st.form(form_key, border=False):
            name = st.text_input("Name", persona.name, key=f"{form_key}_name")
            age = st.text_input("Age", persona.age, key=f"{form_key}_age")
            role = st.text_input("Role", persona.role, key=f"{form_key}_role")
            bio = st.text_area("Bio", persona.bio, key=f"{form_key}_bio")
            claims: dict[str, list[ClaimEdit]] = {}
            for section in CLAIM_SECTIONS:
                claims[section] = []
                for number, claim in enumerate(getattr(persona, section), start=1):
                    if number == 1:
                        st.markdown(f"**{SECTION_TITLES[section]}**")
                    label = f"{SECTION_NAMES[section].capitalize()} {number}"
                    text = st.text_area(label, claim.text, key=f"{form_key}_{section}_{number}")
                    kept = dict(zip(claim_keys(claim), claim.evidence, strict=True))
                    options = [*kept, *(pid for pid in citable if pid not in kept)]
                    labels = {pid: passage_label(p) for pid, p in citable.items()}
                    labels.update({k: _quote_label(k, ev) for k, ev in kept.items()})
                    cites = st.multiselect(
                        f"{label}: quotes (the study's passages)",
                        options,
                        default=list(kept),
                        format_func=labels.__getitem__,
                        max_selections=MAX_CITED,
                        key=f"{form_key}_{section}_{number}_cites",
                        help="Pick up to three passages; each is quoted word for word.",
                    )
                    claims[section].append(ClaimEdit(text, cites))
            saved = st.form_submit_button("Save as a new version", type="primary")
        if saved:
            change = PersonaEdit(name=name, age=age, role=role, bio=bio, claims=claims)
            _save(run, index, change, passages, key=key)
        saved_here = st.session_state.get(SAVED.format(key))
        if saved_here and saved_here[:2] == (run.id, index):
            _saved(saved_here[2])


def _save(
    run: Run, index: int, change: PersonaEdit, passages: list[Passage] | None, *, key: str
) -> None:
    try:
        edited = api.edit(run, index, change, passages=passages, store=store())
    except PersonaError as exc:
        show_error(exc)
        return
    st.session_state[SAVED.format(key)] = (run.id, index, edited)
    st.rerun()


def _saved(edited: api.Edited) -> None:
    status = persona_status(edited.persona)
    verdict = "usable" if status.usable else safe(status.text)
    st.success(
        f"Saved a new version of {safe_line(edited.persona.name)} ({verdict}). Earlier "
        "versions are kept.",
        icon=":material/check:",
    )
    if not status.usable:
        st.error(safe(status.title), icon=":material/block:")
    if not edited.checked_against_data:
        st.caption("Quotes kept their earlier verdicts: the study's text is not at hand.")
    track_changes(edited.changes)
