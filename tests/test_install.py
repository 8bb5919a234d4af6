"""The README's start command on a computer that cannot build llama.cpp.

One test, marked ``install``: it runs the start command exactly as the README shows it, in a
copy of the project, with pip downloading from PyPI into a new virtual environment (a real
install, not an editable one: the wheel must carry the dashboard). The
llama-cpp-python build is made to fail at its first step, CMake's compiler check
(``CC=/bin/false``, as on a computer without a C/C++ compiler), with an empty pip cache so no
wheel built earlier on this machine is used. The command must go on to install Persona
without the built-in engine and start the dashboard (`persona ui`), which then says how to
get a model; the installed package's dashboard runs from a folder outside the project.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ["pyproject.toml", "README.md", "persona"]
"""What ``pip install .`` needs of the repository (the dashboard is in the package)."""
DEADLINE_S = 900
"""Two installs (the failed one with the extra, then the one without) and the start."""

CHECK = """
import importlib.util, sys
import persona
from persona.cli.ui import dashboard_file
from streamlit.testing.v1 import AppTest

assert importlib.util.find_spec("llama_cpp") is None, "llama-cpp-python was installed"
at = AppTest.from_file(str(dashboard_file("app.py")), default_timeout=60).run()
assert not at.exception, [e.message for e in at.exception]
offers = [i.value for i in at.info if "The built-in engine is not installed here" in i.value]
assert offers, [i.value for i in at.info]
assert "Install the built-in engine" in [b.label for b in at.button]
print("home page ok:", persona.__file__)
"""
"""Run by the new environment's Python outside the project: the installed Persona imports,
llama_cpp does not, its dashboard's Home says how to get a model."""


def start_command() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- start-command -->\s*```bash\n(.+?)\n```", readme, re.DOTALL)
    assert block, "README.md has no start command between <!-- start-command --> markers"
    command = block.group(1).strip()
    assert "\n" not in command and command.endswith(".venv/bin/persona ui"), command
    return command


@pytest.mark.install
def test_the_start_command_installs_and_starts_without_a_compiler(tmp_path: Path) -> None:
    project = tmp_path / "persona"
    project.mkdir()
    for name in PROJECT:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, project / name)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(
        CC="/bin/false",  # no working C/C++ compiler: CMake's first check fails
        CXX="/bin/false",
        PIP_CACHE_DIR=str(tmp_path / "pip-cache"),  # no llama.cpp wheel built before
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    log = tmp_path / "start-command.log"
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(
            ["bash", "-c", start_command()],
            cwd=project,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url, up_after = _wait_until_up(process, started, log)
        output = log.read_text(encoding="utf-8", errors="replace")
        assert "CMake configuration failed" in output, output[-3000:]
        assert "Successfully installed" in output and "persona-0.1.0" in output
        page = requests.get(url, timeout=10)
        assert page.status_code == 200 and "<title>" in page.text
        check = subprocess.run(
            [str(project / ".venv" / "bin" / "python"), "-c", CHECK],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert check.returncode == 0, check.stdout + check.stderr
        installed = project / ".venv" / "lib"  # site-packages: installed, not the copy
        assert f"home page ok: {installed}" in check.stdout, check.stdout
        cli = subprocess.run(
            [str(project / ".venv" / "bin" / "persona"), "check", "--engine", "builtin"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert cli.returncode == 1 and "The built-in engine is not installed here" in cli.stdout
        print(f"\nstart command: dashboard up after {up_after:.0f} s")
    finally:
        _stop(process)


def _wait_until_up(
    process: subprocess.Popen[bytes], started: float, log: Path
) -> tuple[str, float]:
    """The address `persona ui` printed, and the seconds until the dashboard answered there;
    fails with the command's output if it never does."""
    while time.monotonic() - started < DEADLINE_S:
        if process.poll() is not None:
            tail = log.read_text(encoding="utf-8", errors="replace")[-4000:]
            pytest.fail(f"the start command ended (exit {process.returncode}):\n{tail}")
        printed = re.search(
            r"Persona's dashboard: http://localhost:(\d+) ",
            log.read_text(encoding="utf-8", errors="replace"),
        )
        if printed:
            url = f"http://127.0.0.1:{printed.group(1)}"
            try:
                if requests.get(f"{url}/_stcore/health", timeout=2).text == "ok":
                    return url, time.monotonic() - started
            except requests.RequestException:
                pass
        time.sleep(1)
    tail = log.read_text(encoding="utf-8", errors="replace")[-4000:]
    pytest.fail(f"the dashboard did not start within {DEADLINE_S} s:\n{tail}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End the start command (bash, and the dashboard it started) by its process group."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
