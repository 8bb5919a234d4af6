"""Claude's answer by reference: claims that cite passage IDs, and Persona's quotes filled in.

Claude never types a quote. Its answer (:class:`RefinedPersona`) holds wording and the IDs of
passages it was given; :func:`to_persona` turns it into a :class:`~persona.core.schema.Persona`
whose quotes, sources, locators and participants come from Persona's own passages
(:func:`persona.generation.references.resolve`), so every quote is word for word by
construction. Citations of IDs that were not sent are dropped and listed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from persona.core.documents import Passage
from persona.core.schema import (
    CLAIM_SECTIONS,
    Persona,
    PersonaFields,
    limited,
    trimmed,
)
from persona.generation.references import (
    CitedClaim,
    DraftPersona,
    QuoteRef,
    resolve,
)


class QuotePick(BaseModel):
    """The representative quote, chosen by passage ID: Persona quotes that passage whole."""

    model_config = ConfigDict(extra="ignore")

    passage: str = Field(
        description="ID of the given passage with the most representative words. Persona "
        "quotes that passage itself; never write quote text."
    )


# The fields of a persona, by reference; no participants (Persona derives them from the
# passages cited) and no field for quote text. (The docstring is part of the schema sent.)
class RefinedPersona(PersonaFields[CitedClaim, QuotePick]):
    """A persona that cites the given passages by ID and never quotes them."""

    name: Annotated[
        str,
        trimmed(100),
        Field(
            description=limited(
                "An invented first and last name: never a participant's, a pseudonym in "
                "square brackets or a file name.",
                100,
            )
        ),
    ]


def _key(raw: str) -> str:
    """An ID as :func:`resolve` looks it up."""
    return raw.strip().strip("[]()").upper()


def cited_ids(answer: RefinedPersona) -> list[str]:
    """Every ID the answer cites, in order, each once (the representative quote's last)."""
    ids = [
        raw for section in CLAIM_SECTIONS for c in getattr(answer, section) for raw in c.passages
    ]
    return list(dict.fromkeys([*ids, answer.quote.passage]))


@dataclass(frozen=True)
class Resolved:
    """The refined persona with Persona's quotes, and the citations that were dropped."""

    persona: Persona
    dropped: list[str]
    """IDs the answer cited that were not among the passages sent, as Claude wrote them."""
    weak: int
    """Citations whose passage shares (almost) nothing with the claim."""


def to_persona(
    answer: RefinedPersona, passages: Mapping[str, Passage], sent: Collection[str]
) -> Resolved:
    """``answer`` with every quote filled in from ``passages``; only the ``sent`` IDs count."""
    allowed = {_key(i) for i in sent}
    dropped = [raw for raw in cited_ids(answer) if raw.strip() and _key(raw) not in allowed]
    draft = DraftPersona(
        name=answer.name,
        age=answer.age,
        role=answer.role,
        bio=answer.bio,
        goals=answer.goals,
        pain_points=answer.pain_points,
        behaviours=answer.behaviours,
        motivations=answer.motivations,
        quote=QuoteRef(passage=answer.quote.passage),
    )
    persona, found = resolve(draft, passages, allowed)
    return Resolved(persona, dropped, found.weak)
