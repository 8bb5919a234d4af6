"""A conversation with a persona, as History keeps it: questions, answers and the passages cited.

The cited passages are kept word for word with their place, so a saved conversation shows
its quotes without the research files.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field

from persona.core.documents import Passage


class Quote(BaseModel):
    """A passage shown with an answer: its ID in the study, its place and its exact words."""

    id: str
    source: str
    locator: str
    participant: str = ""
    text: str

    @classmethod
    def of(cls, passage: Passage) -> Quote:
        return cls(
            id=passage.id,
            source=passage.source,
            locator=passage.locator,
            participant=passage.participant,
            text=passage.text,
        )

    @property
    def where(self) -> str:
        return ", ".join(part for part in (self.source, self.locator) if part)


class ChatTurn(BaseModel):
    """One question to a persona and its answer."""

    question: str
    answer: str
    """The persona's answer, or the sentence saying it has no data on that."""
    supported: bool
    """Whether the answer rests on cited passages; when not, ``nearest`` shows what there is."""
    cited: list[Quote] = Field(default_factory=list)
    nearest: list[Quote] = Field(default_factory=list)
    note: str = ""
    """Why the persona declined, for people (empty when it answered)."""
    searched: str = ""
    """The question translated into the study's language for the search, when it was asked
    in another language (empty otherwise)."""
    model: str = ""
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
