"""Recordings transcribed on this machine with faster-whisper, as a generator of progress.

Each recording is heard by Whisper base (CTranslate2, int8 on the CPU), with its voice-activity
filter so silence is skipped rather than invented into words. Progress says how much of the
audio was heard and the time left, from this machine's measured speed. Closing the generator
stops (the Stop button, Ctrl-C): a recording stopped half way keeps nothing, the recordings
finished before it are kept. Transcripts already kept for the same bytes are not made again.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from persona.core.errors import InputError
from persona.core.progress import Progress, Stage
from persona.core.units import format_duration
from persona.transcribe.audio import Recording
from persona.transcribe.kept import keep_transcript, kept_transcript, real_time_factor, record_speed
from persona.transcribe.model import MODEL_NAME, SpeechModelMissing, model_dir
from persona.transcribe.transcript import Segment, Transcript

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

LOAD_S = 5.0
"""Seconds to load the speech model, added to every estimate."""
LONG_S = 15 * 60.0
"""Estimated work longer than this is confirmed by the researcher before it starts."""
STAGE: Stage = "transcribe"


def pending(recordings: Sequence[Recording], data_dir: Path | None = None) -> list[Recording]:
    """The recordings that have no kept transcript yet (each set of bytes once)."""
    seen: set[str] = set()
    todo = []
    for recording in recordings:
        if recording.sha256 in seen or kept_transcript(recording.sha256, data_dir) is not None:
            continue
        seen.add(recording.sha256)
        todo.append(recording)
    return todo


def estimate_s(recordings: Sequence[Recording], data_dir: Path | None = None) -> float:
    """Seconds of work to transcribe ``recordings`` here (0 when every one is kept)."""
    todo = pending(recordings, data_dir)
    if not todo:
        return 0.0
    return LOAD_S + sum(r.duration for r in todo) * real_time_factor(data_dir)


def describe_estimate(recordings: Sequence[Recording], data_dir: Path | None = None) -> str:
    """``2 recordings, 3h05m of audio: about 46:15 to transcribe on this machine.``"""
    todo = pending(recordings, data_dir)
    audio = sum(r.duration for r in todo)
    count = f"{len(todo)} recording{'' if len(todo) == 1 else 's'}"
    return (
        f"{count}, {format_duration(audio)} of audio: about "
        f"{format_duration(estimate_s(todo, data_dir))} to transcribe on this machine."
    )


def needs_confirmation(recordings: Sequence[Recording], data_dir: Path | None = None) -> bool:
    """Whether the work is long enough that the researcher confirms it first."""
    return estimate_s(recordings, data_dir) > LONG_S


@functools.cache
def _load(directory: str) -> WhisperModel:
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:
        raise SpeechModelMissing("the package faster-whisper") from exc
    return WhisperModel(directory, device="cpu", compute_type="int8")


def transcribe(
    recordings: Sequence[Recording], data_dir: Path | None = None
) -> Generator[Progress, None, None]:
    """Transcribe the recordings without a kept transcript, keeping each as it is finished.

    Read the results with :func:`persona.transcribe.kept_transcript`. A recording that
    cannot be decoded half way is reported after the others are done (InputError).
    """
    todo = pending(recordings, data_dir)
    if not todo:
        yield Progress(STAGE, "Every recording was transcribed before: transcripts kept.", 1.0)
        return
    total = sum(r.duration for r in todo)
    rtf = real_time_factor(data_dir)
    yield Progress(
        STAGE, f"Loading the speech model ({MODEL_NAME})…", 0.0, eta=LOAD_S + total * rtf
    )
    model = _load(str(model_dir(data_dir)))
    heard_before = 0.0
    failed: list[str] = []
    for recording in todo:
        started = time.monotonic()
        try:
            transcript = yield from _one(model, recording, heard_before, total, rtf)
        except InputError as exc:
            failed.append(str(exc))
            message = str(exc)
        else:
            keep_transcript(transcript, data_dir)
            work_s = time.monotonic() - started
            record_speed(work_s, recording.duration, data_dir)
            rtf = work_s / recording.duration
            found = transcript.summary() if transcript.segments else "no speech found"
            message = f"{recording.name}: {found}."
        heard_before += recording.duration
        left = (total - heard_before) * rtf
        yield Progress(STAGE, message, heard_before / total, eta=left if left > 0 else None)
    if failed:
        kept = len(todo) - len(failed)
        raise InputError(f"{kept} of {len(todo)} recordings transcribed. " + " ".join(failed))


def _one(
    model: WhisperModel, recording: Recording, heard_before: float, total: float, rtf: float
) -> Generator[Progress, None, Transcript]:
    """Progress while one recording is heard; returns its transcript (the generator's value)."""
    import av

    name = recording.name
    yield Progress(
        STAGE,
        f"Listening to {name} ({format_duration(recording.duration)})…",
        heard_before / total,
        eta=(total - heard_before) * rtf,
    )
    started = time.monotonic()
    segments: list[Segment] = []
    with recording.open() as audio:
        try:
            heard, info = model.transcribe(audio, vad_filter=True)
            try:
                for segment in heard:
                    text = " ".join(segment.text.split())
                    if text:
                        segments.append(Segment(segment.start, segment.end, text))
                    done = min(segment.end, recording.duration)
                    speed = (time.monotonic() - started) / done if done > 0 else rtf
                    yield Progress(
                        STAGE,
                        f"Transcribing {name}: {format_duration(done)} of "
                        f"{format_duration(recording.duration)}",
                        (heard_before + done) / total,
                        eta=(total - heard_before - done) * speed,
                    )
            finally:
                heard.close()  # Stop: the speech model stops at its current window
        except (av.FFmpegError, ValueError, RuntimeError) as exc:
            raise InputError(
                f"{name} could not be decoded to the end ({exc}): the file is damaged. "
                "Export or download it again, then add that file."
            ) from exc
    return Transcript(
        name=name,
        sha256=recording.sha256,
        duration=recording.duration,
        language=info.language if segments else "",
        language_probability=info.language_probability if segments else 0.0,
        segments=tuple(segments),
        model=MODEL_NAME,
    )
