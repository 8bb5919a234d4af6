"""A recording's transcript: timed segments, the language heard, and the researcher's review.

Whisper hears no speakers, so every segment belongs to the recording's participant (named
after the file, like every other file) until the researcher marks it as the interviewer's;
those segments are context, never evidence. Words the researcher fixes replace what was
heard, which is kept next to them. Passages are located by the segment's start time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from persona.core.documents import Passage
from persona.core.errors import InputError

INTERVIEWER = "Interviewer"
"""The speaker of segments the researcher marked as the interviewer's."""

NO_SPEAKERS = (
    "No speaker separation is available offline: every segment is attributed to {participant} "
    "unless you mark it as the interviewer's (the interviewer's segments are context, never "
    "quoted)."
)
"""Said wherever a transcript is reviewed (the dashboard and the terminal)."""


def timestamp(seconds: float) -> str:
    """``00:01:23``: a passage's locator, whole seconds (a quote's place in the recording)."""
    whole = max(int(seconds), 0)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


@dataclass(frozen=True)
class Segment:
    """What was said between ``start`` and ``end`` (seconds from the start of the recording)."""

    start: float
    end: float
    text: str
    """The words as reviewed: what was heard, or the researcher's correction."""
    heard: str = ""
    """What the speech model heard (empty when it is ``text``)."""
    interviewer: bool = False

    @property
    def edited(self) -> bool:
        return bool(self.heard) and " ".join(self.heard.split()) != " ".join(self.text.split())


@dataclass(frozen=True)
class Transcript:
    """The transcript of one recording, kept by the SHA-256 of its bytes."""

    name: str
    sha256: str
    duration: float
    """Seconds of audio in the recording."""
    language: str = ""
    """The language detected (ISO 639-1 code, e.g. ``en``), empty when no speech was found."""
    language_probability: float = 0.0
    segments: tuple[Segment, ...] = field(default_factory=tuple)
    model: str = ""
    """The speech model that made it (``whisper-base``)."""

    @property
    def participant(self) -> str:
        return self.name

    @property
    def no_speakers_note(self) -> str:
        return NO_SPEAKERS.format(participant=self.participant)

    def passages(self, name: str = "") -> list[Passage]:
        """One passage per non-empty segment, located by its start time (``00:01:23``);
        ``name`` is the file name the recording was read under (default: its own)."""
        source = name or self.name
        return [
            Passage(
                source,
                timestamp(segment.start),
                segment.text.strip(),
                participant=INTERVIEWER if segment.interviewer else source,
                citable=not segment.interviewer,
            )
            for segment in self.segments
            if segment.text.strip()
        ]

    def reviewed(self, interviewer: Sequence[bool], texts: Sequence[str]) -> Transcript:
        """This transcript with the researcher's marks and word fixes, one per segment, in order.

        What was heard is kept beside each fixed segment. A segment left empty is not quoted.
        """
        if not len(interviewer) == len(texts) == len(self.segments):
            raise InputError(
                f"The review of {self.name} has {len(texts)} segments but the transcript has "
                f"{len(self.segments)}: reload the page and review it again."
            )
        segments = tuple(
            replace(
                segment,
                text=" ".join(text.split()),
                heard=segment.heard or segment.text,
                interviewer=bool(marked),
            )
            for segment, marked, text in zip(self.segments, interviewer, texts, strict=True)
        )
        return replace(self, segments=segments)

    @property
    def edited_count(self) -> int:
        return sum(segment.edited for segment in self.segments)

    @property
    def interviewer_count(self) -> int:
        return sum(segment.interviewer for segment in self.segments)

    def summary(self) -> str:
        """``12 segments · English detected (98%) · 2 marked as the interviewer's · 1 fixed``."""
        parts = [f"{len(self.segments)} segment{'' if len(self.segments) == 1 else 's'}"]
        if self.language:
            parts.append(f"language detected: {self.language} ({self.language_probability:.0%})")
        if self.interviewer_count:
            parts.append(f"{self.interviewer_count} marked as the interviewer's")
        if self.edited_count:
            parts.append(f"{self.edited_count} fixed by hand")
        return " · ".join(parts)

    # --- storage ------------------------------------------------------------------

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> Transcript:
        raw: dict[str, Any] = json.loads(data)
        segments = tuple(Segment(**segment) for segment in raw.pop("segments"))
        return cls(**raw, segments=segments)

    def to_vtt(self) -> str:
        """WebVTT: one cue per segment, the speaker in a voice tag (``<v Interviewer>``)."""
        cues = ["WEBVTT", ""]
        for number, segment in enumerate(self.segments, 1):
            if not segment.text.strip():
                continue
            speaker = INTERVIEWER if segment.interviewer else self.participant
            cues += [
                str(number),
                f"{_vtt_time(segment.start)} --> {_vtt_time(max(segment.end, segment.start))}",
                f"<v {_vtt_escape(speaker)}>{_vtt_escape(segment.text.strip())}</v>",
                "",
            ]
        return "\n".join(cues)


def _vtt_time(seconds: float) -> str:
    millis = round(max(seconds, 0.0) * 1000)
    return (
        f"{millis // 3_600_000:02d}:{millis % 3_600_000 // 60_000:02d}:"
        f"{millis % 60_000 // 1000:02d}.{millis % 1000:03d}"
    )


def _vtt_escape(text: str) -> str:
    """Cue text as WebVTT reads it: ``&``, ``<`` and ``>`` escaped, one line."""
    flat = " ".join(text.split())
    return flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
