"""What reading a batch of files gave: the documents, one report per file, passage IDs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from persona.core.documents import Document, Passage
from persona.core.tokens import estimate_tokens


@dataclass(frozen=True)
class FileReport:
    """What reading one file gave, for the user to check before generating."""

    name: str
    ok: bool
    kind: str = ""
    size_bytes: int = 0
    rows: int = 0
    """Passages read: survey rows, records, lines, pages, paragraphs."""
    characters: int = 0
    tokens: int = 0
    """Estimated with :func:`persona.core.tokens.estimate_tokens`."""
    encoding: str = ""
    """The text encoding used (text formats only), as a Python codec name."""
    warnings: tuple[str, ...] = ()
    error: str = ""
    """Why the file was not read and what to do; empty when ``ok``."""
    speakers: tuple[str, ...] = ()
    """A meeting transcript's speakers, in order of first turn (other kinds: none)."""
    interviewer: str = ""
    """The transcript's interviewer, detected or chosen ("" for nobody)."""


@dataclass
class Reading:
    """The documents read from a batch of files, and one report per file, in input order."""

    documents: list[Document] = field(default_factory=list)
    reports: list[FileReport] = field(default_factory=list)

    @property
    def passages(self) -> list[Passage]:
        return [p for d in self.documents for p in d.passages]

    @property
    def total_tokens(self) -> int:
        return sum(r.tokens for r in self.reports)

    @property
    def ok_count(self) -> int:
        return sum(r.ok for r in self.reports)

    @property
    def failed(self) -> list[FileReport]:
        return [r for r in self.reports if not r.ok]


def read_report(
    document: Document,
    warnings: Sequence[str],
    encoding: str = "",
    speakers: Sequence[str] = (),
    interviewer: str = "",
) -> FileReport:
    """The report of a file read as ``document``."""
    return FileReport(
        document.name,
        ok=True,
        kind=document.kind,
        size_bytes=document.size_bytes,
        rows=len(document.passages),
        characters=document.characters,
        tokens=sum(estimate_tokens(p.text) for p in document.passages),
        encoding=encoding,
        warnings=tuple(warnings),
        speakers=tuple(speakers),
        interviewer=interviewer,
    )


def add_result(reading: Reading, document: Document | None, report: FileReport) -> None:
    """Append a file's result; a copy of a file already read is flagged, not dropped."""
    if document is not None:
        twin = next((d.name for d in reading.documents if d.sha256 == document.sha256), None)
        if twin is not None:
            note = f"same content as {twin}, so its passages count twice"
            report = replace(report, warnings=(*report.warnings, note))
        reading.documents.append(document)
    reading.reports.append(report)


def number_passages(reading: Reading) -> Reading:
    """Give every passage of ``reading`` an ID unique in the study: ``P1``, ``P2``... in order."""
    number = 0
    for document in reading.documents:
        numbered: list[Passage] = []
        for passage in document.passages:
            number += 1
            numbered.append(replace(passage, id=f"P{number}"))
        document.passages = numbered
    return reading
