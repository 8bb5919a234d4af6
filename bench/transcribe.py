"""Real-time factor of transcribing a 5-minute recording on this machine, and peak memory.

    python -m bench.transcribe [--minutes 5] [--keep DIR]

Speaks the sample interviews (``samples/interviews``) with espeak-ng, cut to ``--minutes`` of
audio, then transcribes the WAV the way Persona does (:func:`persona.transcribe.transcribe`:
Whisper base, int8 on the CPU, its voice-activity filter) into a fresh data folder. Prints:

- the audio's length from the WAV header (not from Persona), the model's load time and the
  transcription's wall time; **real-time factor** = transcription time / audio length
  (target ≤ 0.3: a one-hour interview in under 18 minutes);
- how much of the recording the transcript covers (the last segment's end / the length) and
  the share of the script's distinct words found in the transcript: a fast run that heard
  only part of the audio, or heard it badly, loses here;
- peak resident memory of the process (``ru_maxrss``) and its growth during the work;
- the load average before and after: the CPU is shared, so read the numbers with it.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import psutil

from persona.transcribe import kept_transcript, open_recording, transcribe
from persona.transcribe.model import model_dir
from persona.transcribe.whisper import _load

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "interviews"
TARGET_RTF = 0.3


def script() -> str:
    """What participants and the interviewer say in the sample interviews, in order."""
    lines = []
    for path in sorted(SAMPLES.iterdir()):
        for line in path.read_text(encoding="utf-8").splitlines():
            _, sep, said = line.partition(": ")
            if sep and not line.startswith(("#", "Participant", "Date", "Contact")):
                lines.append(said.strip())
    return "\n".join(lines)


def speak(text: str, seconds: float, folder: Path) -> tuple[Path, float]:
    """``text`` spoken by espeak-ng, cut to ``seconds`` (a 16-bit mono WAV), and the share
    of the speech the cut keeps."""
    spoken = folder / "spoken.wav"
    source = folder / "script.txt"
    source.write_text(text, encoding="utf-8")
    subprocess.run(["espeak-ng", "-w", str(spoken), "-f", str(source)], check=True)
    with wave.open(str(spoken)) as wav:
        rate, channels, width = wav.getframerate(), wav.getnchannels(), wav.getsampwidth()
        total = wav.getnframes()
        frames = wav.readframes(int(seconds * rate))
    if len(frames) < seconds * rate * channels * width:
        sys.exit(f"The script is shorter than {seconds:.0f} s when spoken: use fewer --minutes.")
    cut = folder / "interview.wav"
    with wave.open(str(cut), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(frames)
    return cut, seconds * rate / total


def words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z']+", text.casefold()) if len(w) > 3}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--keep", type=Path, help="keep the WAV and data folder here")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="persona-bench-transcribe-"))
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["PERSONA_DATA_DIR"] = str(folder / "data")
    load_before = os.getloadavg()

    text = script()
    wav, kept = speak(text, args.minutes * 60, folder)
    script_words = text.split()
    spoken = " ".join(script_words[: int(len(script_words) * kept)])
    with wave.open(str(wav)) as header:
        audio_s = header.getnframes() / header.getframerate()
    print(f"Audio: {audio_s:.1f} s of espeak-ng speech ({wav})")
    print(f"CPU: {os.cpu_count()} cores; load average before {load_before[0]:.2f}")

    started = time.perf_counter()
    _load(str(model_dir()))
    load_s = time.perf_counter() - started
    rss_before = psutil.Process().memory_info().rss / 1e6
    print(f"Model: assembled and loaded in {load_s:.1f} s; resident {rss_before:.0f} MB")

    recording = open_recording(wav.name, wav)
    started = time.perf_counter()
    for _event in transcribe([recording]):
        pass
    work_s = time.perf_counter() - started
    transcript = kept_transcript(recording.sha256)
    assert transcript is not None
    covered = transcript.segments[-1].end / audio_s if transcript.segments else 0.0
    heard = words(" ".join(s.text for s in transcript.segments))
    said = words(spoken)
    recall = len(said & heard) / len(said) if said else 0.0
    rtf = work_s / audio_s
    print(
        f"Transcription: {work_s:.1f} s for {audio_s:.1f} s of audio, "
        f"{len(transcript.segments)} segments, language {transcript.language}"
    )
    print(f"Covered: the last segment ends at {covered:.1%} of the recording")
    print(
        f"Words: {recall:.1%} of the distinct words (4+ letters) of the script's spoken part "
        "are in the transcript"
    )
    print(f"Peak resident memory: {peak_mb():.0f} MB (before transcribing: {rss_before:.0f} MB)")
    print(f"Load average after: {os.getloadavg()[0]:.2f}")
    verdict = "meets" if rtf <= TARGET_RTF else "misses"
    print(f"Real-time factor: {rtf:.3f} ({verdict} the target of ≤ {TARGET_RTF})")


if __name__ == "__main__":
    main()
