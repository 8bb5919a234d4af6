"""The CLI checks what it can before any model call, and never prints a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from persona import api
from persona.cli.commands import main
from persona.cli.exits import EXIT_FAIL, EXIT_OK
from tests.fake_ollama import FakeOllama

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "interviews" / "02_tom_becker.txt"


def generate(url: str, out: Path, *extra: str) -> list[str]:
    return ["generate", "--host", url, "--model", "llama3.2:3b", "--count", "1",
            "--out", str(out), "--from", str(SAMPLE), *extra]  # fmt: skip


def test_an_unusable_out_folder_is_refused_before_any_model_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "report.json"
    blocker.write_text("an existing file")
    with FakeOllama() as fake:
        code = main(generate(fake.url, blocker / "exports"))  # a folder inside a file
        calls = fake.log()
    err = capsys.readouterr().err
    assert code == EXIT_FAIL
    assert "Cannot write to" in err and "choose a folder you can write to with --out" in err
    assert calls == [], "nothing was asked of the model"
    assert blocker.read_text() == "an existing file"


def test_unreadable_inputs_are_refused_before_any_model_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeOllama() as fake:
        code = main(["generate", "--host", fake.url, "--from", str(tmp_path / "missing.csv")])
        calls = fake.log()
    err = capsys.readouterr().err
    assert code == EXIT_FAIL and "None of the files could be read" in err
    assert "missing.csv" in err
    assert calls == []


def test_two_runs_in_the_same_minute_keep_both_exports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    with FakeOllama() as fake:
        assert main(generate(fake.url, out)) == EXIT_OK
        assert main(generate(fake.url, out)) == EXIT_OK
    printed = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    files = sorted(out.iterdir())
    assert len(files) == 2, files
    assert sorted(printed) == sorted(str(f) for f in files)
    assert files[0].read_bytes() != files[1].read_bytes()  # two different runs
    assert all(f.stat().st_mode & 0o077 == 0 for f in files), "exports are private"


def test_an_unexpected_error_is_a_message_and_a_log(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    def broken(*_: object, **__: object) -> None:
        raise KeyError("a bug in Persona")

    monkeypatch.setattr(api, "read", broken)
    with FakeOllama() as fake:
        code = main(generate(fake.url, tmp_path / "out"))
    captured = capsys.readouterr()
    assert code == EXIT_FAIL
    assert "Traceback" not in captured.err + captured.out
    assert "unexpected problem (KeyError)" in captured.err
    log = data_dir / "logs" / "errors.log"
    assert str(log) in captured.err
    assert "a bug in Persona" in log.read_text() and "Traceback" in log.read_text()


def test_a_bad_setting_is_a_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PERSONA_MAX_FILE_MB", "abc")
    with FakeOllama() as fake:
        code = main(generate(fake.url, Path("unused")))
    err = capsys.readouterr().err
    assert code == EXIT_FAIL and "Traceback" not in err
    assert "PERSONA_MAX_FILE_MB is set to 'abc'" in err
