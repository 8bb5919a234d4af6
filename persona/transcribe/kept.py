"""Transcripts kept in Persona's data folder, by the SHA-256 of the recording.

A recording read a second time (the same bytes under any name) is not transcribed again,
and the researcher's review (interviewer marks, fixed words) comes back with it. The files
are private to the user, like History: ``DATA/transcripts/SHA256.json``, owner-only.
The measured speed of transcription (seconds of work per second of audio) is kept beside
them, so the next estimate is this machine's.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from persona.core.errors import InputError
from persona.core.private import private_dir, write_private
from persona.core.setting_rules import default_data_dir
from persona.transcribe.transcript import Transcript

REAL_TIME_FACTOR = 0.3
"""Seconds of work per second of audio before this machine was measured (Whisper base, int8,
two cores: about 0.25; rounded up)."""
_SPEED_FILE = "speed.json"


def transcripts_dir(data_dir: Path | None = None) -> Path:
    return private_dir((data_dir or default_data_dir()) / "transcripts")


def kept_transcript(sha256: str, data_dir: Path | None = None, name: str = "") -> Transcript | None:
    """The transcript kept for a recording with these bytes, under ``name`` when given."""
    path = transcripts_dir(data_dir) / f"{sha256}.json"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        transcript = Transcript.from_json(data)
    except (ValueError, TypeError, KeyError) as exc:
        raise InputError(
            f"The kept transcript of {name or sha256} ({path}) is damaged. Delete that file "
            "and transcribe the recording again."
        ) from exc
    return replace(transcript, name=name) if name else transcript


def keep_transcript(transcript: Transcript, data_dir: Path | None = None) -> Path:
    """Save ``transcript`` (replacing the one kept for the same recording, atomically)."""
    path = transcripts_dir(data_dir) / f"{transcript.sha256}.json"
    write_private(path, transcript.to_json())
    return path


def real_time_factor(data_dir: Path | None = None) -> float:
    """Seconds of work per second of audio over the recordings transcribed here so far
    (long ones weigh most), else the default."""
    work_s, audio_s = _measured(data_dir)
    return work_s / audio_s if work_s > 0 and audio_s > 0 else REAL_TIME_FACTOR


def record_speed(work_s: float, audio_s: float, data_dir: Path | None = None) -> None:
    """Add a transcribed recording's time to the measurements, for the next estimate."""
    if audio_s <= 0 or work_s <= 0:
        return
    before_work, before_audio = _measured(data_dir)
    data = json.dumps({"work_s": before_work + work_s, "audio_s": before_audio + audio_s})
    write_private(transcripts_dir(data_dir) / _SPEED_FILE, data.encode())


def _measured(data_dir: Path | None) -> tuple[float, float]:
    try:
        raw = json.loads((transcripts_dir(data_dir) / _SPEED_FILE).read_text())
        return float(raw["work_s"]), float(raw["audio_s"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0.0, 0.0


def kept_revision(sha256s: list[str], data_dir: Path | None = None) -> str:
    """Changes whenever a transcript of these recordings is made or reviewed (for caches)."""
    folder = transcripts_dir(data_dir)
    stamps = []
    for sha256 in sha256s:
        try:
            info = (folder / f"{sha256}.json").stat()
            stamps.append(f"{sha256}:{info.st_mtime_ns}:{info.st_size}")
        except FileNotFoundError:
            stamps.append(f"{sha256}:-")
    return "|".join(stamps)
