"""The persona schema: the single source of truth for what a persona is.

The model is asked for exactly this shape (see :func:`llm_json_schema`); fields that
Persona fills in itself (verification results) are left out of what the model sees.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo
from pydantic.config import JsonDict

MAX_CLAIMS = 6
"""A persona has at most this many goals (pain points, ...): bounds what a model may loop on."""

_LOCAL: JsonDict = {"llm": False}
"""Marks a field Persona computes; the model is never asked for it."""

TRIMMED = "trimmed"
"""Key of the list in a validation ``context`` that collects what soft limits cut."""


def trim_words(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 1)]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


def trimmed(limit: int) -> BeforeValidator:
    """A length limit that trims instead of rejecting (noted in the validation context)."""

    def trim(value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str) and len(value) > limit:
            _note(info, f"{info.field_name} was {len(value):,} characters; trimmed to {limit}")
            return trim_words(value, limit)
        return value

    return BeforeValidator(trim)


def soft_list(limit: int) -> BeforeValidator:
    """A list limit that keeps the first ``limit`` items instead of rejecting."""

    def keep_first(value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, list) and len(value) > limit:
            _note(info, f"{info.field_name} had {len(value)} items; kept the first {limit}")
            return value[:limit]
        return value

    return BeforeValidator(keep_first)


def _note(info: ValidationInfo, message: str) -> None:
    if isinstance(info.context, dict) and isinstance(info.context.get(TRIMMED), list):
        info.context[TRIMMED].append(message)


def limited(description: str, limit: int) -> str:
    """A field description that tells the model the field's length limit."""
    return f"{description} At most {limit} characters."


Quote = Annotated[
    str,
    trimmed(1000),
    Field(description=limited("Exact words copied from the research data.", 1000)),
]
Source = Annotated[str, trimmed(300), Field(description=limited("File the quote comes from.", 300))]
Locator = Annotated[
    str,
    trimmed(100),
    Field(description=limited("Where in the file, e.g. 'row 12' or 'line 40'.", 100)),
]


class Evidence(BaseModel):
    """A verbatim quote from the research data and where it came from."""

    model_config = ConfigDict(extra="ignore")

    quote: Quote
    source: Source = ""
    locator: Locator = ""
    passage: str | None = Field(default=None, json_schema_extra=_LOCAL)
    """The ID of the passage the quote was filled in from (evidence by reference)."""
    span_fallback: bool = Field(default=False, json_schema_extra=_LOCAL)
    """The model's span was not in the passage it cited, so the whole passage is quoted."""
    weak_support: bool | None = Field(default=None, json_schema_extra=_LOCAL)
    """The quote shares (almost) nothing with the claim it is cited for."""
    verified: bool | None = Field(default=None, json_schema_extra=_LOCAL)
    matched_source: str | None = Field(default=None, json_schema_extra=_LOCAL)
    matched_locator: str | None = Field(default=None, json_schema_extra=_LOCAL)
    matched_text: str | None = Field(default=None, json_schema_extra=_LOCAL)


class Claim(BaseModel):
    """One statement about a persona (a goal, a pain point...) and its supporting quotes."""

    model_config = ConfigDict(extra="ignore")

    text: Annotated[
        str, trimmed(400), Field(description=limited("The statement, in one sentence.", 400))
    ]
    evidence: Annotated[list[Evidence], soft_list(3)] = Field(
        default_factory=list,
        max_length=3,
        description="One to three quotes from the data that support the statement.",
    )

    @property
    def supported(self) -> bool:
        """It has quotes, and every one was found in the data and supports the statement."""
        return bool(self.evidence) and all(
            e.verified is True and not e.weak_support for e in self.evidence
        )


ClaimT = TypeVar("ClaimT", bound=BaseModel)
QuoteT = TypeVar("QuoteT", bound=BaseModel)


class PersonaFields(BaseModel, Generic[ClaimT, QuoteT]):
    """A persona's fields, whatever its claims and quote are made of.

    :class:`Persona` (quotes in words) and the draft a model writes by reference
    (:class:`persona.generation.references.DraftPersona`, passage IDs) share them, so their
    names, limits and descriptions cannot drift apart.
    """

    model_config = ConfigDict(extra="ignore")

    name: Annotated[
        str,
        trimmed(100),
        Field(description=limited("An invented, realistic first and last name.", 100)),
    ]
    age: Annotated[
        str, trimmed(30), Field(description=limited("An age or an age range such as '30-40'.", 30))
    ]
    role: Annotated[str, trimmed(150), Field(description=limited("Role or occupation.", 150))]
    bio: Annotated[
        str,
        trimmed(1500),
        Field(description=limited("Two or three sentences of background.", 1500)),
    ]
    goals: Annotated[list[ClaimT], soft_list(MAX_CLAIMS)] = Field(
        min_length=1, max_length=MAX_CLAIMS
    )
    pain_points: Annotated[list[ClaimT], soft_list(MAX_CLAIMS)] = Field(
        min_length=1, max_length=MAX_CLAIMS
    )
    behaviours: Annotated[list[ClaimT], soft_list(MAX_CLAIMS)] = Field(
        min_length=1, max_length=MAX_CLAIMS
    )
    motivations: Annotated[list[ClaimT], soft_list(MAX_CLAIMS)] = Field(
        default_factory=list, max_length=MAX_CLAIMS
    )
    quote: QuoteT


class Persona(PersonaFields[Claim, Evidence]):
    """An evidence-backed UX persona."""

    quote: Evidence = Field(description="One representative verbatim quote.")
    participants: Annotated[list[str], soft_list(50)] = Field(
        default_factory=list,
        max_length=50,
        description="Identifiers of the participants this persona represents.",
    )
    unusable: list[str] = Field(default_factory=list, json_schema_extra=_LOCAL)
    """Why this persona's content is degenerate (empty when it is usable)."""

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
    grammars; the limits are stated in each field's description instead, and text over a
    limit is trimmed at a word boundary, never rejected.
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
    schema: dict[str, Any] = _strip_local(model.model_json_schema())

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
