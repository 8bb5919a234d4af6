"""Meeting transcripts: WebVTT (Zoom, Teams, Google Meet), SubRip (.srt) and timestamped text
(Otter's ``Speaker 1  0:03`` blocks, ``[00:01:23] Name: words``, ``Name (00:01:23): words``).

A transcript is read into :class:`Cue` s (start, speaker, words); consecutive cues of one
speaker join into one turn, and a cue without a speaker continues the previous speaker's turn.
Each turn is a passage located by its start time (``00:01:23``, hours always shown) and
attributed to its speaker. Caption numbers, timing lines, cue settings, NOTE/STYLE/REGION
blocks and tags (``<v Name>``, ``<c>``, ``<i>``, ``<00:00:01.000>``...) never reach a passage;
HTML entities are decoded.

The interviewer (:func:`detect_interviewer`: a speaker named Interviewer, Moderator, Host...,
else the one who asks the most questions) can be changed by the user; their turns are
context (``citable=False``), never evidence.

Other readers of timed speech (a recording's transcription) make :class:`Cue` s and call
:func:`transcript_passages`.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from persona.core.documents import Passage
from persona.core.errors import InputError
from persona.ingest.base import numbered, plural
from persona.ingest.structured import NEWLINE
from persona.ingest.text import INTERVIEWER_LABELS

TRANSCRIPT_KINDS = ("vtt", "srt")
"""Document kinds that are always transcripts (a ``.txt`` is one when :func:`is_timed_text`)."""


@dataclass(frozen=True)
class Cue:
    """One caption or transcript segment: when it starts, who speaks ("" when not said), what."""

    start: float
    """Seconds from the start of the meeting."""
    speaker: str
    text: str


@dataclass(frozen=True)
class Interviewer:
    """Whose turns are context: a speaker's name ("" for nobody) and why."""

    name: str
    reason: str


def timestamp(seconds: float) -> str:
    """``00:01:23``: a transcript locator, hours always shown (fractions of a second dropped)."""
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}"


# --- cue text ---------------------------------------------------------------------------------

_VOICE = re.compile(r"<v(?:\.[\w.-]*)?(?:\s+([^>]*))?>", re.IGNORECASE)
_TAG = re.compile(
    r"</?(?:[a-z][\w.-]*)(?:\s[^>]*)?>|<\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?>", re.IGNORECASE
)
_NAME = r"[^\W\d_][^:：<>\n?!\"“”]{0,58}?"
_SPEAKER_LABEL = re.compile(rf"^\s*(?P<name>{_NAME})\s*[:：]\s+(?P<rest>\S.*)$", re.DOTALL)
_MAX_NAME_WORDS = 5


def clean_text(payload: str) -> str:
    """A cue's words: tags removed, entities decoded, lines and runs of spaces made one."""
    text = html.unescape(_TAG.sub("", payload)).replace("\xa0", " ")
    return " ".join(text.split())


def _voices(payload: str) -> list[tuple[str, str]]:
    """(speaker, raw text) spans of a cue: a Teams-style ``<v Name>`` tag starts each one."""
    marks = list(_VOICE.finditer(payload))
    if not marks:
        return [("", payload)]
    spans = [("", payload[: marks[0].start()])] if payload[: marks[0].start()].strip() else []
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        end = following.start() if following else len(payload)
        spans.append((" ".join((mark[1] or "").split()), payload[mark.end() : end]))
    return spans


def _label(text: str) -> tuple[str, str] | None:
    """(name, words) of a Zoom/Meet-style ``Name: words`` cue."""
    match = _SPEAKER_LABEL.match(text)
    if match is None:
        return None
    name = " ".join(match["name"].split())
    if len(name.split()) > _MAX_NAME_WORDS or "http" in name.casefold():
        return None
    return name, match["rest"]


def label_speakers(cues: Sequence[Cue]) -> list[Cue]:
    """Cues without a speaker whose words start ``Name: ``, with that speaker, when the name
    starts at least two cues (or is an interviewer's): ``Example: ...`` said once stays text."""
    labels = [None if c.speaker else _label(c.text) for c in cues]
    uses = Counter(found[0].casefold() for found in labels if found)
    out = []
    for cue, found in zip(cues, labels, strict=True):
        if found and (uses[found[0].casefold()] >= 2 or found[0].casefold() in INTERVIEWER_LABELS):
            out.append(Cue(cue.start, found[0], found[1]))
        else:
            out.append(cue)
    return out


def _cues_of(start: float, payload: str) -> list[Cue]:
    cues = [Cue(start, speaker, clean_text(raw)) for speaker, raw in _voices(payload)]
    return [c for c in cues if c.text]


# --- WebVTT and SubRip ------------------------------------------------------------------------

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(?:\s+.*)?$")
_BLOCK_KEYWORDS = ("NOTE", "STYLE", "REGION")


def _seconds(hours: str | None, minutes: str, seconds: str, millis: str) -> float:
    return (
        int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis.ljust(3, "0")) / 1000
    )


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """(first line number, lines) of each block of non-blank lines."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    for number, line in enumerate(NEWLINE.split(text), 1):
        if line.strip():
            if not current:
                blocks.append((number, current))
            current.append(line)
        else:
            current = []
    return blocks


def _broken_timing(name: str, number: int, line: str, example: str) -> InputError:
    return InputError(
        f"{name}: the timing line at line {number} ({line.strip()[:60]!r}) is broken; it should "
        f"read like {example}. Fix that line in a text editor, or export the transcript again."
    )


def parse_captions(name: str, text: str, kind: str) -> tuple[list[Cue], list[str]]:
    """The cues of a WebVTT (``kind`` ``"vtt"``) or SubRip (``"srt"``) file, and notes."""
    blocks = _blocks(text)
    if kind == "srt" and blocks and blocks[0][1][0].lstrip("\ufeff").startswith("WEBVTT"):
        kind = "vtt"  # a WebVTT file named .srt
    example = "00:00:06.010 --> 00:00:14.870" if kind == "vtt" else "00:00:04,600 --> 00:00:13,200"
    if kind == "vtt":
        first = blocks[0][1][0].lstrip("\ufeff") if blocks else ""
        if not re.match(r"WEBVTT(?:$|[ \t])", first):
            raise InputError(
                f"{name} does not start with WEBVTT, so it is not a WebVTT caption file. If it "
                "is a SubRip file, rename it .srt; otherwise download the transcript again as "
                ".vtt from Zoom, Teams or Google Meet."
            )
        header, *rest = blocks
        if any("-->" in line for line in header[1][1:]):  # a cue right under WEBVTT
            rest = [(header[0] + 1, header[1][1:]), *rest]
        blocks = rest
    cues: list[Cue] = []
    skipped: list[int] = []
    count = 0
    for number, lines in blocks:
        if kind == "vtt" and lines[0].split(maxsplit=1)[0] in _BLOCK_KEYWORDS:
            continue
        timing = next((i for i, line in enumerate(lines[:2]) if "-->" in line), None)
        if timing is None:
            skipped.append(number)
            continue
        match = _TIMING.match(lines[timing])
        if match is None:
            raise _broken_timing(name, number + timing, lines[timing], example)
        count += 1
        cues += _cues_of(_seconds(*match.groups()[:4]), "\n".join(lines[timing + 1 :]))
    if not count:
        raise InputError(
            f"{name} has no captions: no timing lines like {example}. Check that it is the "
            "transcript file, or download it again."
        )
    if not cues:
        raise InputError(
            f"{name} has {plural(count, 'caption')} but no words in them. Download the "
            "transcript again with its text (in Zoom: the audio transcript, not the chat)."
        )
    notes = []
    if skipped:
        notes.append(
            f"{numbered('line', skipped)}: text without a timing line, not read; "
            "check the file in a text editor"
        )
    return label_speakers(cues), notes


# --- timestamped text -------------------------------------------------------------------------

_CLOCK = r"(?:(\d{1,2}):)?(\d{1,2}):(\d{2})"
_HEADER = re.compile(rf"^(?P<name>{_NAME})\s+\(?{_CLOCK}\)?\s*$")
"""Otter: ``Speaker 1  0:03`` alone on a line, the words below."""
_BRACKET = re.compile(rf"^\[{_CLOCK}(?:[.,]\d+)?\]\s*(?P<rest>\S.*)$")
"""``[00:01:23] Name: words`` (the name may be left out; :func:`label_speakers` finds it)."""
_AFTER = re.compile(rf"^(?P<name>{_NAME})\s*\({_CLOCK}\)\s*:\s*(?P<rest>\S.*)$")
"""``Name (00:01:23): words``."""
_FOOTER = re.compile(r"^\s*transcribed by\s+https?://(?:www\.)?otter\.ai\S*\s*$", re.IGNORECASE)


def _clock(hours: str | None, minutes: str, seconds: str) -> float:
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)


def _timed_line(line: str, after_blank: bool) -> tuple[str, float, str] | None:
    """(speaker, start, words) of a line that starts a timed turn; words "" for a header."""
    if match := _BRACKET.match(line):
        return "", _clock(*match.groups()[:3]), match["rest"]
    if match := _AFTER.match(line):
        return " ".join(match["name"].split()), _clock(*match.groups()[1:4]), match["rest"]
    match = _HEADER.match(line)
    if match and after_blank and len(match["name"].split()) <= _MAX_NAME_WORDS:
        return " ".join(match["name"].split()), _clock(*match.groups()[1:4]), ""
    return None


def _timed_lines(text: str) -> list[tuple[int, str, tuple[str, float, str] | None]]:
    lines = NEWLINE.split(text)
    return [
        (n, line, _timed_line(line.strip(), n == 1 or not lines[n - 2].strip()))
        for n, line in enumerate(lines, 1)
        if line.strip()
    ]


def is_timed_text(text: str) -> bool:
    """Whether a ``.txt`` is a timestamped transcript rather than an ordinary one: at least
    two timed turns, a speaker named twice (or every turn timed), and most ``Name:`` turns
    timed. An interview with ``Maria: ...`` lines and a stray time stays ordinary text."""
    lines = _timed_lines(text)
    timed = [found for _, _, found in lines if found]
    if len(timed) < 2:
        return False
    names = Counter((found[0] or (_label(found[2]) or ("", ""))[0]).casefold() for found in timed)
    names.pop("", None)
    labelled = sum(
        1 for _, line, found in lines if not found and _SPEAKER_LABEL.match(line.strip())
    )
    every = all(found for _, _, found in lines[next(i for i, x in enumerate(lines) if x[2]) :])
    return (max(names.values(), default=0) >= 2 or every) and len(timed) >= labelled


def parse_timed_text(name: str, text: str) -> tuple[list[Cue], list[Passage], list[Passage]]:
    """The cues of a timestamped ``.txt``, and as context passages located ``line N`` the
    lines before the first turn (title, date...) and the Otter footer."""
    cues: list[Cue] = []
    head: list[Passage] = []
    tail: list[Passage] = []
    for number, line, found in _timed_lines(text):
        if found is not None:
            speaker, start, words = found
            cues.append(Cue(start, speaker, clean_text(words)))
        elif cues and not _FOOTER.match(line):
            last = cues[-1]
            cues[-1] = Cue(last.start, last.speaker, f"{last.text} {clean_text(line)}".strip())
        else:
            (tail if cues else head).append(
                Passage(name, f"line {number}", line.strip(), citable=False)
            )
    return [c for c in cues if c.text], head, tail


# --- turns, interviewer, passages -------------------------------------------------------------


def join_turns(cues: Iterable[Cue]) -> list[Cue]:
    """Consecutive cues of one speaker as one turn (starting with the first); a cue without a
    speaker continues the previous speaker. Cues before anyone is named stay apart."""
    turns: list[Cue] = []
    for cue in cues:
        previous = turns[-1] if turns else None
        if previous and previous.speaker and cue.speaker in ("", previous.speaker):
            turns[-1] = Cue(previous.start, previous.speaker, f"{previous.text} {cue.text}")
        else:
            turns.append(cue)
    return turns


def _asks(turn: Cue) -> bool:
    return turn.text.rstrip(" \"'”’»)").endswith(("?", "？"))


def _named_interviewer(speaker: str) -> bool:
    """``Moderator``, ``Interviewer 2``, ``Jordan Reyes (Researcher)``: the whole name, or a
    word of it (of four letters or more: ``I`` in ``Anna I. Berg`` is no interviewer)."""
    name = speaker.casefold()
    words = re.findall(r"\w+", name)
    return name in INTERVIEWER_LABELS or any(len(w) >= 4 and w in INTERVIEWER_LABELS for w in words)


def detect_interviewer(turns: Sequence[Cue]) -> Interviewer:
    """The speaker named Interviewer, Moderator, Host... (in several languages), else the one
    whose turns most often end in a question (at least two, more than anyone else)."""
    speakers = list(dict.fromkeys(t.speaker for t in turns if t.speaker))
    named = [s for s in speakers if _named_interviewer(s)]
    if named:
        return Interviewer(named[0], "named as the interviewer")
    if len(speakers) < 2:
        return Interviewer("", "one speaker only")
    questions = Counter(t.speaker for t in turns if t.speaker and _asks(t))
    ranked = questions.most_common(2)
    if not ranked or ranked[0][1] < 2 or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return Interviewer("", "no speaker asks clearly more questions than the others")
    who, asked = ranked[0]
    turns_of = sum(1 for t in turns if t.speaker == who)
    return Interviewer(who, f"asks the most questions: {asked} of {turns_of} turns end in ?")


def same_speaker(a: str, b: str) -> bool:
    """Whether two spellings name one speaker (case and spacing aside)."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def choose_interviewer(turns: Sequence[Cue], wanted: str | None) -> Interviewer:
    """The interviewer: ``wanted`` ("" for nobody) when it is one of the speakers, else the one
    detected (see :func:`detect_interviewer`)."""
    if wanted is not None and not wanted.strip():
        return Interviewer("", "chosen: nobody")
    if wanted is not None:
        speakers = dict.fromkeys(t.speaker for t in turns if t.speaker)
        match = next((s for s in speakers if same_speaker(s, wanted)), None)
        if match is not None:
            return Interviewer(match, "chosen")
    return detect_interviewer(turns)


def transcript_passages(name: str, turns: Sequence[Cue], interviewer: str) -> list[Passage]:
    """One passage per turn, located by its start time; the interviewer's turns are context.

    Two turns starting in the same second are told apart by their milliseconds."""
    seen: set[str] = set()
    passages = []
    for turn in turns:
        locator = timestamp(turn.start)
        if locator in seen:
            locator = f"{locator}.{round(turn.start % 1 * 1000):03d}"
        seen.add(locator)
        asking = bool(interviewer) and turn.speaker == interviewer
        participant = turn.speaker or name
        passages.append(
            Passage(name, locator, turn.text, participant=participant, citable=not asking)
        )
    return passages


@dataclass(frozen=True)
class Transcript:
    """A transcript's turns (consecutive cues of one speaker joined), the context lines around
    them (a timestamped text's title and footer) and what reading noted."""

    turns: list[Cue]
    head: list[Passage] = field(default_factory=list)
    tail: list[Passage] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def speakers(self) -> list[str]:
        """Who speaks, in order of first turn."""
        return list(dict.fromkeys(t.speaker for t in self.turns if t.speaker))

    def passages(self, name: str, interviewer: str) -> list[Passage]:
        """Every passage of the file: context lines and turns (:func:`transcript_passages`)."""
        return [*self.head, *transcript_passages(name, self.turns, interviewer), *self.tail]


def read_transcript(name: str, text: str, kind: str) -> Transcript:
    """A transcript file's turns. ``kind`` is ``"vtt"``, ``"srt"`` or ``"text"`` (a ``.txt``
    for which :func:`is_timed_text`)."""
    if kind == "text":
        cues, head, tail = parse_timed_text(name, text)
        if not cues:
            raise InputError(
                f"{name} has timestamps but no words after them. Check that it is the "
                "transcript, or export it again with its text."
            )
        return Transcript(join_turns(label_speakers(cues)), head, tail)
    cues, notes = parse_captions(name, text, kind)
    return Transcript(join_turns(cues), warnings=notes)


def find_transcript(name: str, text: str, kind: str) -> Transcript | None:
    """The transcript in a file of document ``kind``, or None when it is not one (any kind
    but ``vtt`` and ``srt``, and a ``.txt`` without timed turns)."""
    if kind in TRANSCRIPT_KINDS or (kind == "text" and is_timed_text(text)):
        return read_transcript(name, text, kind)
    return None


def interviewer_note(speakers: Sequence[str], interviewer: Interviewer) -> str:
    """What the preview says about a transcript's speakers and interviewer."""
    who = ", ".join(speakers) if speakers else "none named"
    if not interviewer.name:
        asking = f"no interviewer ({interviewer.reason})"
    else:
        asking = (
            f"interviewer: {interviewer.name} ({interviewer.reason}); their turns are "
            "context, never quoted"
        )
    return f"transcript: {plural(len(speakers), 'speaker')} ({who}); {asking}"
