"""Recordings transcribed on this machine, reviewed, and kept with their study."""

from __future__ import annotations

from persona.transcribe import (
    describe_estimate,
    is_recording,
    keep_transcript,
    kept_revision,
    kept_transcript,
    needs_confirmation,
    open_recording,
    pending,
    timestamp,
    transcribe,
)

__all__ = [
    "describe_estimate",
    "is_recording",
    "keep_transcript",
    "kept_revision",
    "kept_transcript",
    "needs_confirmation",
    "open_recording",
    "pending",
    "timestamp",
    "transcribe",
]
