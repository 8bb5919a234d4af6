"""`persona --engine ...`: the built-in engine and OpenAI-compatible servers from the terminal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from persona.cli.commands import build_parser, main
from persona.cli.exits import EXIT_FAIL, EXIT_OK
from persona.engines.builtin import demo_model_name
from tests.browser import closed_url


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_every_model_command_takes_the_engine_options() -> None:
    parser = build_parser()
    for command in (["check"], ["models"], ["pull", "x"], ["rm", "x"], ["generate", "--from", "."]):
        args = parser.parse_args(
            [*command, "--engine", "openai", "--base-url", "http://h:1/v1", "--parallel", "3"]
        )
        assert (args.engine, args.base_url, args.parallel) == ("openai", "http://h:1/v1", 3)


def test_check_the_builtin_engine(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "check", "--engine", "builtin", "--json")
    report = json.loads(out)
    assert code == EXIT_OK
    assert report["engine"]["state"] == "ready" and report["engine"]["kind"] == "builtin"
    assert demo_model_name() in report["engine"]["models"]
    assert "ollama" not in report


def test_models_of_the_builtin_engine(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "models", "--engine", "builtin")
    assert code == EXIT_OK
    line = next(line for line in out.splitlines() if line.startswith(demo_model_name()))
    assert "134.5M" in line and "Q4_1" in line and "8,192" in line and "fits" in line


@pytest.mark.usefixtures("without_builtin")
def test_the_builtin_engine_not_installed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run_cli(capsys, "check", "--engine", "builtin")
    assert code == EXIT_FAIL
    assert "The built-in engine is not installed here" in out and "-m pip install" in out
    study = tmp_path / "p01.txt"
    study.write_text("Interviewer: How do you shop?\nP01: Mostly online.\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "generate", "--from", str(study), "--engine", "builtin")
    assert code == EXIT_FAIL
    assert "The built-in engine is not installed here" in err and "Ollama" in err


def test_pull_is_ollama_only(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "pull", "llama3.2:3b", "--engine", "builtin")
    assert code == EXIT_FAIL and "manages Ollama's models" in err and ".gguf" in err
    code, _, err = run_cli(
        capsys, "rm", "x", "--engine", "openai", "--base-url", "http://127.0.0.1:9/v1"
    )
    assert code == EXIT_FAIL and "vllm serve" in err


def test_an_absent_server_is_not_running(capsys: pytest.CaptureFixture[str]) -> None:
    url = closed_url() + "/v1"
    code, out, _ = run_cli(capsys, "check", "--engine", "openai", "--base-url", url)
    assert code == EXIT_FAIL and f"not running, or not reachable at {url}" in out


def test_openai_needs_an_address(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "models", "--engine", "openai")
    assert code == EXIT_FAIL and "OPENAI_BASE_URL" in err and "Settings page" in err


def test_parallel_out_of_range(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "check", "--engine", "builtin", "--parallel", "40")
    assert code == EXIT_FAIL and "--parallel is set to 40" in err and "1 to 16" in err


def test_engine_from_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERSONA_ENGINE", "builtin")
    code, out, _ = run_cli(capsys, "check")
    assert code == EXIT_OK and "Connected to Built-in engine" in out
