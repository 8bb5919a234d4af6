"""Recordings as Persona accepts them: audio or video files, checked before any work.

Opening a recording reads its container only (PyAV, FFmpeg bundled in its wheels; no system
FFmpeg): a file that is not audio or video, a video without a sound track, or an empty one
is refused here with a message that says what to do, before the speech model starts.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from persona.core.errors import InputError
from persona.core.units import format_duration

RECORDING_EXTENSIONS: tuple[str, ...] = (".wav", ".mp3", ".m4a", ".mp4", ".mov", ".webm", ".ogg")
"""The audio and video files transcribed on this machine."""

Source = Path | bytes
"""A recording on disk (the command line) or in memory (the dashboard's uploads)."""


def is_recording(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in RECORDING_EXTENSIONS


@dataclass(frozen=True)
class Recording:
    """A recording that can be transcribed: its name, fingerprint and length."""

    name: str
    sha256: str
    duration: float
    """Seconds of sound."""
    source: Source

    def open(self) -> BinaryIO:
        if isinstance(self.source, bytes):
            return io.BytesIO(self.source)
        return open(self.source, "rb")


def sha256_of(source: Source) -> str:
    """The SHA-256 of a recording's bytes, read in blocks from disk (videos can be large)."""
    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest()
    digest = hashlib.sha256()
    with open(source, "rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def open_recording(name: str, source: Source, sha256: str = "") -> Recording:
    """``source`` checked as a recording: InputError, saying what to do, when it is not one."""
    import av  # only recordings need FFmpeg

    try:
        stream: BinaryIO = (
            io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115
        )
    except OSError as exc:
        raise InputError(
            f"{name} could not be opened ({exc.strerror or exc}). Check its permissions."
        ) from exc
    with stream:
        if not stream.read(1):
            raise InputError(
                f"{name} is empty. Check that the recording was saved completely, then add "
                "it again."
            )
        stream.seek(0)
        try:
            with av.open(stream) as container:
                kinds = {s.type for s in container.streams}
                if not container.streams.audio:
                    what = "a video without a sound track" if "video" in kinds else "no sound"
                    raise InputError(
                        f"{name} has {what}, so there is nothing to transcribe. Export the "
                        "recording again with its audio (in Zoom, Teams or Meet, the audio-only "
                        "or the full recording), then add that file."
                    )
                duration = _duration(container)
        except av.FFmpegError as exc:
            raise InputError(
                f"{name} could not be read as audio or video: the file is damaged or is not "
                "really a recording (check its type). Download or export it again, then add "
                "that file."
            ) from exc
    if duration <= 0:
        raise InputError(
            f"{name} holds no sound (it lasts {format_duration(duration)}). Check that the "
            "recording was saved completely."
        )
    return Recording(name, sha256 or sha256_of(source), duration, source)


def _duration(container: object) -> float:
    """Seconds of audio: from the container's header, else by reading the packets' times."""
    import av

    assert isinstance(container, av.container.InputContainer)
    audio = container.streams.audio[0]
    if audio.duration and audio.time_base:
        return float(audio.duration * audio.time_base)
    if container.duration:
        return container.duration / av.time_base
    end = 0.0
    for packet in container.demux(audio):  # no header length (some WebM): walk the packets
        if packet.pts is not None and packet.time_base:
            end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
    return end
