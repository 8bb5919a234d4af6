"""The persona schema: the single source of truth for what a persona is.

The model is asked for exactly this shape (see :func:`llm_json_schema`); fields that
Persona fills in itself (verification results) are left out of what the model sees.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MAX_CLAIMS = 6
"""A persona has at most this many goals (pain points, ...): bounds what a model may loop on."""

_LOCAL = {"llm": False}
"""Marks a field Persona computes; the model is never asked for it."""


class Evidence(BaseModel):
    """A verbatim quote from the research data and where it came from."""

    model_config = ConfigDict(extra="ignore")

    quote: str = Field(max_length=1000, description="Exact words copied from the research data.")
    source: str = Field(default="", max_length=300, description="File the quote comes from.")
    locator: str = Field(
        default="", max_length=100, description="Where in the file, e.g. 'row 12' or 'line 40'."
    )
    verified: bool | None = Field(default=None, json_schema_extra=_LOCAL)
    score: float | None = Field(default=None, json_schema_extra=_LOCAL)
    matched_source: str | None = Field(default=None, json_schema_extra=_LOCAL)
    matched_locator: str | None = Field(default=None, json_schema_extra=_LOCAL)
    matched_text: str | None = Field(default=None, json_schema_extra=_LOCAL)


class Claim(BaseModel):
    """One statement about a persona (a goal, a pain point...) and its supporting quotes."""

    model_config = ConfigDict(extra="ignore")

    text: str = Field(max_length=400, description="The statement, in one sentence.")
    evidence: list[Evidence] = Field(
        default_factory=list,
        max_length=3,
        description="One to three quotes from the data that support the statement.",
    )


class Persona(BaseModel):
    """An evidence-backed UX persona."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(max_length=100, description="A realistic, memorable first and last name.")
    age: str = Field(max_length=30, description="An age or an age range such as '30-40'.")
    role: str = Field(max_length=150, description="Role or occupation.")
    bio: str = Field(max_length=1500, description="Two or three sentences of background.")
    goals: list[Claim] = Field(min_length=1, max_length=MAX_CLAIMS)
    pain_points: list[Claim] = Field(min_length=1, max_length=MAX_CLAIMS)
    behaviours: list[Claim] = Field(min_length=1, max_length=MAX_CLAIMS)
    motivations: list[Claim] = Field(default_factory=list, max_length=MAX_CLAIMS)
    quote: Evidence = Field(description="One representative verbatim quote.")
    participants: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Identifiers of the participants this persona represents.",
    )

    def claims(self) -> list[tuple[str, Claim]]:
        """Every claim with the section it belongs to."""
        return [(section, claim) for section in CLAIM_SECTIONS for claim in getattr(self, section)]

    def all_evidence(self) -> list[Evidence]:
        """Every quote this persona cites, the representative quote first."""
        return [self.quote] + [ev for _, claim in self.claims() for ev in claim.evidence]


CLAIM_SECTIONS: tuple[str, ...] = ("goals", "pain_points", "behaviours", "motivations")


class PersonaSet(BaseModel):
    """What the model returns for one run: a list of personas."""

    model_config = ConfigDict(extra="ignore")

    personas: list[Persona] = Field(min_length=1, max_length=10)


def _strip_local(node: Any) -> Any:
    """Remove computed fields, titles (noise that costs tokens) and string length limits.

    Grammar builders expand ``maxLength`` into one rule per character, which makes huge
    grammars; the limits are still enforced when the answer is validated.
    """
    if isinstance(node, dict):
        if isinstance(node.get("title"), str):
            del node["title"]
        if isinstance(node.get("maxLength"), int):
            del node["maxLength"]
        props = node.get("properties")
        if isinstance(props, dict):
            hidden = [k for k, v in props.items() if isinstance(v, dict) and v.get("llm") is False]
            for key in hidden:
                del props[key]
            if "required" in node:
                node["required"] = [r for r in node["required"] if r not in hidden]
        for value in node.values():
            _strip_local(value)
    elif isinstance(node, list):
        for value in node:
            _strip_local(value)
    return node


def llm_json_schema(model: type[BaseModel] = PersonaSet) -> dict[str, Any]:
    """The JSON Schema sent to the model as ``format``: every field required, none computed."""
    schema = _strip_local(model.model_json_schema())

    def require_all(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("properties"), dict):
                node["required"] = list(node["properties"])
            for value in node.values():
                require_all(value)
        elif isinstance(node, list):
            for value in node:
                require_all(value)

    require_all(schema)
    return schema
