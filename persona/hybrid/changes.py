"""Claude's answer as changes to the draft: only what it rewrites is written out.

Writing a whole persona back costs output tokens for every field and claim it keeps. The
answer (:class:`PersonaChanges`) says instead, per field, ``null`` (kept as the draft has it)
or the new text, and lists each claim section in order, a claim kept word for word as its
index in the draft's section and a new or rewritten claim written out. :func:`apply_changes`
rebuilds the full refined persona from the draft sent and the answer; it then goes through
the same validation and checks as a whole answer would
(:class:`persona.hybrid.answer.RefinedPersona`). A kept index the draft does not have, or one
kept twice, is ignored and reported.

Several drafts in one request (:mod:`.batch`) answer in :func:`batch_format`: a list of
changes, each naming its draft.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import anthropic
from pydantic import BaseModel, ConfigDict, Field, RootModel

from persona.core.schema import CLAIM_SECTIONS, MAX_CLAIMS, llm_json_schema
from persona.generation.references import CitedClaim, with_ids
from persona.hybrid.answer import QuotePick, RefinedPersona

CHANGES_RULES = (
    "Answer with what changes only: a field you keep exactly as the draft has it is null; in "
    "each section, in order, a claim you keep word for word with its citations is its index "
    "(from 0) in that section of the draft, and a new or rewritten claim is written out. For "
    "a draft you write anew (no persona given) every field and claim is written out."
)
"""What the refine request tells the model about the answer's shape (the schema says it too)."""


def _kept(field: str) -> Any:
    description = RefinedPersona.model_fields[field].description or ""
    return Field(description=f"{description} Null keeps the draft's.")


class Section(RootModel[list[int | CitedClaim]]):
    __doc__ = (
        "A claim section in order: the index (from 0) of a claim of this section of the draft "
        f"kept word for word with its citations, or a new or rewritten claim. At most "
        f"{MAX_CLAIMS} in all."
    )


class PersonaChanges(BaseModel):
    """What changes in one draft persona."""

    model_config = ConfigDict(extra="ignore")

    name: Annotated[str | None, _kept("name")]
    age: Annotated[str | None, _kept("age")]
    role: Annotated[str | None, _kept("role")]
    bio: Annotated[str | None, _kept("bio")]
    goals: Section
    pain_points: Section
    behaviours: Section
    motivations: Section
    quote: Annotated[QuotePick | None, Field(description="Null keeps the draft's quote.")]


class DraftChanges(PersonaChanges):
    """The changes to one of several drafts sent together, naming that draft."""

    draft: str = Field(description="The key of the draft these changes are for, such as D1.")


class BatchChanges(BaseModel):
    """The answer for several drafts: one entry per draft."""

    model_config = ConfigDict(extra="ignore")

    personas: list[DraftChanges] = Field(description="One entry per draft, in the order given.")


def _format(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "schema": anthropic.transform_schema(schema)}


def output_format(ids: Iterable[str]) -> dict[str, Any]:
    """Structured output for one draft: :class:`PersonaChanges`, its IDs limited to ``ids``."""
    return _format(with_ids(llm_json_schema(PersonaChanges), list(ids), enum=True))


def batch_format(ids: Iterable[str], keys: Sequence[str]) -> dict[str, Any]:
    """Structured output for several drafts (``keys``), their IDs limited to ``ids``."""
    schema = with_ids(llm_json_schema(BatchChanges), list(ids), enum=True)
    for node in schema.get("$defs", {}).values():
        draft = node.get("properties", {}).get("draft")
        if isinstance(draft, dict):
            draft["enum"] = list(keys)
    return _format(schema)


@dataclass(frozen=True)
class Rebuilt:
    """The full persona (as JSON, before validation) and what the answer kept in vain."""

    persona: dict[str, Any]
    ignored: list[str]
    """Kept claims the draft does not have, or kept twice: ``"goals #7"``."""


def apply_changes(draft: Mapping[str, Any] | None, changes: PersonaChanges) -> Rebuilt:
    """The refined persona: ``draft`` (the one sent, or None for a rewrite) with ``changes``."""
    base: Mapping[str, Any] = draft or {}
    persona: dict[str, Any] = {}
    for name in ("name", "age", "role", "bio"):
        value = getattr(changes, name)
        persona[name] = value if value is not None else str(base.get(name, ""))
    ignored: list[str] = []
    for section in CLAIM_SECTIONS:
        had = list(base.get(section) or [])
        claims: list[Any] = []
        for item in getattr(changes, section).root:
            if isinstance(item, CitedClaim):
                claims.append(item.model_dump())
            elif 0 <= item < len(had) and had[item] not in claims:
                claims.append(had[item])
            else:
                ignored.append(f"{section} #{item}")
        persona[section] = claims
    if changes.quote is not None:
        persona["quote"] = {"passage": changes.quote.passage}
    else:
        persona["quote"] = {"passage": str((base.get("quote") or {}).get("passage", ""))}
    return Rebuilt(persona, ignored)


def ignored_text(ignored: Sequence[str]) -> str:
    """What the page and the CLI say about kept claims that were ignored."""
    return (
        f"Claude kept {len(ignored)} claim(s) the draft does not have or kept twice "
        f"({', '.join(ignored)}); those were ignored."
    )
