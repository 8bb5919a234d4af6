"""Editing a persona by hand: a new version in History, checked like every version."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from persona.api.runs import study_passages
from persona.core.diff import FieldChange, field_changes, field_choices
from persona.core.documents import Passage
from persona.core.errors import InputError
from persona.core.records import Run
from persona.core.schema import Persona
from persona.generation.edit import (
    PersonaEdit,
    apply_edit,
    check_edited,
    claim_keys,
    unchanged_claims,
)
from persona.history.store import Store
from persona.ingest import Reading

__all__ = [
    "Edited",
    "claim_keys",
    "edit",
    "field_changes",
    "field_choices",
    "unchanged_claims",
]


@dataclass(frozen=True)
class Edited:
    """A persona edited by hand, as saved: a new version of its record."""

    run: Run
    """The run with the edit (``run.personas[index]`` is the edited persona)."""
    index: int
    changes: list[FieldChange]
    """Field by field, what the edit changed from the version before it."""
    checked_against_data: bool
    """The quotes were checked against the study's passages (else each kept its verdict)."""

    @property
    def persona(self) -> Persona:
        return self.run.personas[self.index]


def edit(
    run: Run | str,
    persona: int,
    change: PersonaEdit,
    *,
    reading: Reading | None = None,
    passages: Sequence[Passage] | None = None,
    store: Store | None = None,
) -> Edited:
    """Edit persona ``persona`` (from 0) of ``run`` (or a run ID) by hand, and save it in
    History as a new version; every earlier version is kept and exports and chat use it.

    ``change`` holds new wording and, per statement, citations as passage IDs of the study
    (never quote text: each quote is the passage's words). Citing a passage needs the
    study's passages: ``passages`` (from :func:`study_passages`), else ``reading`` (the run's
    files again) or the copy History kept. The
    edited persona gets the checks every version gets; raises :class:`InputError` for an
    empty name or statement, an unknown passage, or an edit that changes nothing.
    """
    store = store or Store()
    saved = store.get(run) if isinstance(run, str) else run
    if not 0 <= persona < len(saved.records):
        raise InputError(
            f"Run {saved.id} has no persona number {persona + 1}; it has {len(saved.records)}."
        )
    if passages is None:
        passages = study_passages(saved, reading, store=store)
    record = saved.records[persona]
    by_id = {p.id: p for p in passages} if passages is not None else None
    edited = apply_edit(record.current, change, by_id, files=[f.name for f in saved.files])
    if edited == record.current:
        raise InputError("Nothing was changed: edit a field or a citation, then save.")
    others = [p for i, p in enumerate(saved.personas) if i != persona]
    checked = check_edited(edited, others, passages, speakers=saved.speakers)
    new_record = record.model_copy(update={"edits": [*record.edits, checked]})
    store.update_record(saved.id, persona, new_record)
    records = [new_record if i == persona else r for i, r in enumerate(saved.records)]
    updated = saved.model_copy(update={"records": records})
    changes = field_changes(record.current, checked)
    return Edited(updated, persona, changes, checked_against_data=passages is not None)
