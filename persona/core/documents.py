"""Research text as Persona carries it: passages that remember where they came from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace


@dataclass(frozen=True, slots=True)
class Passage:
    """A piece of research text and its place: file name plus row, line or page."""

    source: str
    locator: str
    text: str
    id: str = ""
    """A short ID unique within the study (``P17``), which models cite instead of copying text."""
    participant: str = ""
    """Who said it: a transcript's speaker, a survey's respondent, else the file."""
    citable: bool = True
    """Whether it is something a participant said, and so evidence. Headings, metadata and
    the interviewer's questions are context, never cited."""
    question: str = ""
    """The question it answers (a survey's free-text column): the model is shown it with the
    answer, whichever chunk the answer lands in."""
    cells: tuple[tuple[str, str], ...] = ()
    """A survey row's context (not citable), as (column, value) for every context column of
    its table, ``""`` where the row has none; :attr:`text` says the filled ones (``Age: 34;
    Household size: 2``). The model is shown the columns once per chunk, then each row's
    values, so the column names are not repeated on every row."""

    def cite(self) -> str:
        return f"{self.source}, {self.locator}" if self.locator else self.source


@dataclass
class Document:
    """One uploaded file after reading: its passages and a fingerprint of its bytes."""

    name: str
    kind: str
    sha256: str
    size_bytes: int
    passages: list[Passage] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)
    """Values of the survey columns marked as identifiers (names, e-mails...). They are in no
    passage and never sent to a model; redaction before the Hybrid step reads them to hide
    them wherever else they occur. Kept in memory only, never stored."""

    @property
    def characters(self) -> int:
        return sum(len(p.text) for p in self.passages)

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.passages)


def with_passage_ids(passages: Sequence[Passage]) -> list[Passage]:
    """``passages`` with IDs: given ones are kept when every passage has a unique one, else
    all are numbered ``P1``, ``P2``... in order."""
    ids = [p.id for p in passages]
    if all(ids) and len(set(ids)) == len(ids):
        return list(passages)
    return [replace(p, id=f"P{i}") for i, p in enumerate(passages, start=1)]
