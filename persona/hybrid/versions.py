"""Which version of a refined persona is kept: the draft, Claude's, or a per-field mix,
each through the same checks as a draft."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from persona.core.diff import merge
from persona.core.documents import Passage, with_passage_ids
from persona.core.errors import InputError
from persona.core.records import PersonaRecord, Run, Version
from persona.core.schema import Persona
from persona.generation.checks import check_personas
from persona.history.store import Store


def check_version(
    persona: Persona, others: Sequence[Persona], passages: Sequence[Passage]
) -> Persona:
    """``persona`` after the checks every version goes through, after ``others`` (the run's
    other personas: repeating one of them makes it unusable)."""
    return check_personas([*others, persona], passages)[-1]


def choose(
    run: Run,
    index: int,
    choice: Version | Mapping[str, Version],
    store: Store,
    *,
    passages: Sequence[Passage],
) -> PersonaRecord:
    """Keep the draft, the refined version, or a per-field mix; saved to History. A mix is
    a new version: it goes through the same checks against ``passages`` (the study's)."""
    record = run.records[index]
    if record.refined is None:
        raise InputError(f"{record.draft.name} has no refined version to choose from.")
    if choice == "draft":
        record.chosen, record.choices = record.draft, {}
    elif choice == "refined":
        record.chosen, record.choices = record.refined, {}
    else:
        record.choices = dict(choice)
        mixed = merge(record.draft, record.refined, record.choices)
        others = [r.current for j, r in enumerate(run.records) if j != index]
        record.chosen = check_version(mixed, others, with_passage_ids(passages))
    store.update_record(run.id, index, record)
    return record
