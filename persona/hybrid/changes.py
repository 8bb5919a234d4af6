"""Claude's answer as changes to the draft: only what it rewrites is written out.

Writing a whole persona back costs output tokens for every field and claim it keeps. The
answer (:class:`PersonaChanges`) leaves out each field it keeps as the draft has it (``null``
means the same), and each section whose claims it all keeps in order; a section it writes
lists its claims in order, a claim kept word for word as its index in the draft's section and
a new or rewritten claim written out. The passage IDs are listed once in the schema
(:data:`PASSAGE_ID`), and every citation refers to that list. :func:`apply_changes`
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
    "Answer with what changes only: leave out each field you keep exactly as the draft has "
    "it, and each section whose claims you all keep, in order; in a section you write, in "
    "order, a claim you keep word for word with its citations is its index (from 0) in that "
    "section of the draft, and a new or rewritten claim is written out."
)
"""What the refine request tells the model about the answer's shape (the schema says it too)."""
REPAIR_RULES = (
    "Fix only what is named: rewrite each claim that has a problem so that the passages it "
    "cites show it, or drop it; change the fields a problem names (a persona too like another "
    "needs its own role, goals and pain points); keep everything else as it is. "
)
"""What a repair asks for: the named problems fixed, the rest kept (and so not written out)."""


KEEP = "A field left out keeps the draft's."
"""What the schema says about every field but a batch's key: left out, the draft's is kept."""


def _kept(field: str = "") -> Any:
    if not field:
        return Field(default=None)
    return Field(default=None, description=RefinedPersona.model_fields[field].description)


class Section(RootModel[list[int | CitedClaim]]):
    __doc__ = f"Index of a draft claim kept, or a claim written out; at most {MAX_CLAIMS}."


class PersonaChanges(BaseModel):
    __doc__ = f"What changes in the draft persona. {KEEP}"

    model_config = ConfigDict(extra="ignore")

    name: Annotated[str | None, _kept("name")]
    age: Annotated[str | None, _kept("age")]
    role: Annotated[str | None, _kept("role")]
    bio: Annotated[str | None, _kept("bio")]
    goals: Annotated[Section | None, _kept()]
    pain_points: Annotated[Section | None, _kept()]
    behaviours: Annotated[Section | None, _kept()]
    motivations: Annotated[Section | None, _kept()]
    quote: Annotated[QuotePick | None, _kept()]


class DraftChanges(PersonaChanges):
    __doc__ = f"What changes in the draft named by its key. {KEEP}"

    draft: str = Field(description="The draft's key.")


class BatchChanges(BaseModel):
    """One entry per draft, in the order given."""

    model_config = ConfigDict(extra="ignore")

    personas: list[DraftChanges]


def _format(schema: dict[str, Any], ids: Iterable[str]) -> dict[str, Any]:
    """The structured output of ``schema``: what can be kept left out (not null), and the
    passage IDs ``ids`` listed once (:data:`PASSAGE_ID`), where each citation refers to them."""
    schema = with_ids(schema, list(ids), enum=True)
    defs = schema.setdefault("$defs", {})
    for node in [schema, *defs.values()]:
        props = node.get("properties", {})
        kept = [name for name in PersonaChanges.model_fields if name in props]
        for name in kept:
            described = {k: v for k, v in props[name].items() if k == "description"}
            props[name] = {**_not_null(props[name].get("anyOf", [])), **described}
        if kept:
            node["required"] = [name for name in node.get("required", []) if name not in kept]
        for name, prop in props.items():
            if name == "passages" and "enum" in prop.get("items", {}):
                defs[PASSAGE_ID] = prop.pop("items")
                prop["items"] = {"$ref": f"#/$defs/{PASSAGE_ID}"}
            elif name == "passage" and "enum" in prop:
                prop.pop("enum")
                prop.pop("type", None)
                prop["$ref"] = f"#/$defs/{PASSAGE_ID}"
    return {"type": "json_schema", "schema": anthropic.transform_schema(schema)}


PASSAGE_ID = "PassageId"
"""The definition that lists the passage IDs an answer may cite, once per schema."""


def _not_null(variants: list[dict[str, Any]]) -> dict[str, Any]:
    return next(v for v in variants if v.get("type") != "null")


def output_format(ids: Iterable[str]) -> dict[str, Any]:
    """Structured output for one draft: :class:`PersonaChanges`, its IDs limited to ``ids``."""
    return _format(llm_json_schema(PersonaChanges), ids)


def batch_format(ids: Iterable[str], keys: Sequence[str]) -> dict[str, Any]:
    """Structured output for several drafts (``keys``), their IDs limited to ``ids``."""
    schema = llm_json_schema(BatchChanges)
    for node in schema.get("$defs", {}).values():
        draft = node.get("properties", {}).get("draft")
        if isinstance(draft, dict):
            draft["enum"] = list(keys)
    return _format(schema, ids)


@dataclass(frozen=True)
class Rebuilt:
    """The full persona (as JSON, before validation) and what the answer kept in vain."""

    persona: dict[str, Any]
    ignored: list[str]
    """Kept claims the draft does not have, or kept twice: ``"goals #7"``."""


def apply_changes(draft: Mapping[str, Any] | None, changes: PersonaChanges) -> Rebuilt:
    """The refined persona: ``draft`` (the one sent) with ``changes``."""
    base: Mapping[str, Any] = draft or {}
    persona: dict[str, Any] = {}
    for name in ("name", "age", "role", "bio"):
        value = getattr(changes, name)
        persona[name] = value if value is not None else str(base.get(name, ""))
    ignored: list[str] = []
    for section in CLAIM_SECTIONS:
        had = list(base.get(section) or [])
        written = getattr(changes, section)
        claims: list[Any] = []
        for item in written.root if written is not None else range(len(had)):
            if isinstance(item, CitedClaim):
                claims.append(item.model_dump())
            elif 0 <= item < len(had) and _claim(had[item]) not in claims:
                claims.append(_claim(had[item]))
            else:
                ignored.append(f"{section} #{item}")
        persona[section] = claims
    if changes.quote is not None:
        persona["quote"] = {"passage": changes.quote.passage}
    else:
        persona["quote"] = {"passage": str((base.get("quote") or {}).get("passage", ""))}
    return Rebuilt(persona, ignored)


def _claim(sent: Any) -> Any:
    """A claim of the draft as kept: without the problem a repair request named."""
    return {k: v for k, v in sent.items() if k != "problem"} if isinstance(sent, dict) else sent


def ignored_text(ignored: Sequence[str]) -> str:
    """What the page and the CLI say about kept claims that were ignored."""
    return (
        f"Claude kept {len(ignored)} claim(s) the draft does not have or kept twice "
        f"({', '.join(ignored)}); those were ignored."
    )
