"""Plain text and Markdown: one passage per non-empty line, with who said it.

In a transcript (``Maria: ...`` turns), each line is attributed to its speaker; lines without
a label continue the previous turn. Only what participants said is evidence: headings, the
metadata block before the first turn (title, date, contact...), ``Date:``-style lines and the
interviewer's turns are kept as context (``citable=False``), never cited.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from persona.core.documents import Passage
from persona.ingest.base import Parsed
from persona.ingest.structured import NEWLINE

_TIMESTAMP = r"(?:\[?\(?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?\)?\]?\s*[-–]?\s*)?"
_LABEL = re.compile(
    rf"^{_TIMESTAMP}[*_]*(?P<label>[^\W\d_][\w.'’-]*(?: [\w.'’-]+){{0,3}})[*_]*"
    r"\s*(?:\([^)]{0,60}\))?\s*(?::[*_]*\s+|：[*_]*\s*)(?P<rest>\S.*)$"
)
INTERVIEWER_LABELS = frozenset(
    {
        "interviewer", "moderator", "facilitator", "researcher", "host", "q", "i", "int",
        "question", "ux researcher", "interviewer 1", "interviewer 2", "moderator 1",
        "moderator 2",
        # German, Spanish, French, Japanese
        "interviewerin", "moderatorin", "forscherin", "forscher", "frage",
        "entrevistador", "entrevistadora", "moderador", "moderadora", "investigador",
        "investigadora", "pregunta", "intervieweur", "intervieweuse", "animateur", "animatrice",
        "インタビュアー", "司会", "聞き手", "質問",
    }
)  # fmt: skip
"""Labels of the person asking the questions (case-insensitive)."""
METADATA_KEYS = frozenset(
    [
        "date",
        "datum",
        "fecha",
        "日付",
        "teilnehmer",
        "teilnehmerin",
        "participante",
        "参加者",
        "time",
        "contact",
        "email",
        "e-mail",
        "phone",
        "tel",
        "location",
        "place",
        "duration",
        "length",
        "session",
        "study",
        "project",
        "interview",
        "transcript",
        "title",
        "topic",
        "recorded",
        "recording",
        "company",
        "age",
        "role",
        "occupation",
        "gender",
        "device",
        "devices",
        "attendees",
        "notes",
        "note",
        "source",
        "consent",
        "id",
        "file",
        "language",
    ]
)
"""First words of ``Key: value`` lines that describe the interview rather than quote anyone."""
_HEADING = re.compile(r"^(?:#{1,6}\s|={3,}|-{3,}$|\*\*[^*]+\*\*:?$|__[^_]+__:?$)")


def read_lines(name: str, text: str) -> Parsed:
    passages = [
        Passage(name, f"line {number}", line.strip())
        for number, line in enumerate(NEWLINE.split(text), 1)
        if line and not line.isspace()
    ]
    return label_turns(passages), []


def _label(text: str) -> tuple[str, str] | None:
    """(label, what follows) for a ``Label: text`` line whose label is 1-4 words."""
    match = _LABEL.match(text)
    if match is None:
        return None
    label = " ".join(match["label"].split())
    if label[0].islower() and label.casefold() not in INTERVIEWER_LABELS:
        return None
    return label, match["rest"]


def _is_metadata(label: str) -> bool:
    return label.split()[0].casefold().rstrip(".") in METADATA_KEYS


def label_turns(passages: Sequence[Passage]) -> list[Passage]:
    """``passages`` (lines or paragraphs of one file) with speakers and citability set.

    Speakers are labels used at least twice, or an interviewer's label; a label used once is
    metadata (``Participant: Maria Gonzalez (34, nurse)``).
    """
    labels = [_label(p.text) for p in passages]
    uses = Counter(found[0].casefold() for found in labels if found)
    speakers = {
        label
        for label, count in uses.items()
        if (count >= 2 or label in INTERVIEWER_LABELS) and not _is_metadata(label)
    }
    transcript = any(label not in INTERVIEWER_LABELS for label in speakers)
    out: list[Passage] = []
    speaker = ""
    for passage, found in zip(passages, labels, strict=True):
        heading = _HEADING.match(passage.text) is not None
        if found and found[0].casefold() in speakers:
            speaker = found[0]
        elif found and (_is_metadata(found[0]) or (transcript and not speaker)):
            out.append(replace(passage, citable=False))
            continue
        if heading or (transcript and not speaker):
            out.append(replace(passage, citable=False))
        elif speaker:
            asking = speaker.casefold() in INTERVIEWER_LABELS
            out.append(replace(passage, participant=speaker, citable=not asking))
        else:
            out.append(replace(passage, participant=passage.source))
    return out
