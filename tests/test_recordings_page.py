"""Recordings on the Generate page (AppTest): the estimate before the work, a long one
confirmed first, transcription in the background, the transcript shown for review, and the
recording read from its kept transcript. The speech model is the misbehaving fake of
tests/test_transcribe.py (the real model runs in that file's ``realmodel`` tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from persona.transcribe import audio as audio_module
from persona.transcribe import whisper as whisper_module
from tests.test_pages import assert_no_exception, button, open_page, shown, values
from tests.test_transcribe import FakeModel, silence

NOTES = (
    "notes.txt",
    b"Maria: I shop on Tuesdays.\nMaria: The vans are always late.\n",
    "text/plain",
)


def wav_bytes(tmp_path: Path, seconds: float) -> bytes:
    from tests.test_transcribe import write_wav

    return write_wav(tmp_path / "call.wav", silence(seconds)).read_bytes()


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> FakeModel:
    model = FakeModel()
    monkeypatch.setattr(whisper_module, "_load", lambda directory: model)
    monkeypatch.setattr(whisper_module, "model_dir", lambda data_dir=None: Path("unused"))
    return model


def test_a_recording_is_transcribed_reviewed_and_read(
    tmp_path: Path, fake_model: FakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")
    at = open_page("generate")
    at.file_uploader[0].set_value([("maria.wav", wav_bytes(tmp_path, 20.0), "audio/wav"), NOTES])
    at.run()
    assert_no_exception(at)
    assert any("1 recording, 0:20 of audio: about" in c for c in values(at.caption))
    report = at.dataframe[0].value.set_index("File")
    assert report.loc["maria.wav", "Status"] == "❌ not read"
    assert "not been transcribed yet" in str(report.loc["maria.wav", "Notes"])
    assert report.loc["notes.txt", "Status"] == "✅ read"  # the other file is not lost

    button(at, "Transcribe").click().run(timeout=60)
    assert_no_exception(at)
    assert fake_model.served == 50 and fake_model.closed
    assert [shown(e.label) for e in at.expander] == ["Transcript of maria.wav"]
    notes = values(at.info)
    assert any(
        "No speaker separation is available offline" in n and "maria.wav" in n for n in notes
    )
    review, report = (table.value for table in at.dataframe)
    assert list(review.columns) == ["start", "end", "interviewer", "text"]
    assert len(review) == 34 and not review["interviewer"].any()
    assert list(review["start"][:2]) == ["00:00:00", "00:00:02"]
    report = report.set_index("File")
    assert report.loc["maria.wav", "Status"] == "✅ read"
    assert report.loc["maria.wav", "Rows / lines"] == 34  # the empty segments are no passages
    assert "Transcribe" not in [b.label for b in at.button]  # kept: nothing left to do


def test_a_three_hour_recording_waits_for_a_yes(
    tmp_path: Path, fake_model: FakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audio_module, "_duration", lambda container: 3 * 3600.0)
    at = open_page("generate")
    at.file_uploader[0].set_value([("workshop.wav", wav_bytes(tmp_path, 1.0), "audio/wav")])
    at.run()
    assert_no_exception(at)
    [warning] = [w for w in values(at.warning) if "3h00m of audio" in w]
    assert "about" in warning and "to transcribe on this machine" in warning
    assert button(at, "Transcribe").disabled
    at.checkbox(key="agree_transcribe_generate").check().run()
    assert not button(at, "Transcribe").disabled
    assert fake_model.served == 0  # nothing started before the click
