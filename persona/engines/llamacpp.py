"""Loading GGUF models with llama-cpp-python, safely on every CPU.

llama.cpp repacks weights for the CPU's fastest kernels ("extra buffer types"). On CPUs that
advertise Intel AMX, the AMX kernels crash the process (SIGSEGV in ``ldtilecfg``) where the
AMX tile state is not usable, as in some virtual machines. A crash would take the whole
dashboard down, so on such CPUs Persona loads models without the extra buffer types: a little
slower on the rare machine where AMX works, never a crash.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_LOAD_LOCK = threading.Lock()


def cpu_has_amx(cpuinfo: str | None = None) -> bool:
    """Whether the CPU advertises AMX tiles (``amx_tile`` in ``/proc/cpuinfo``)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
    return any(
        line.startswith("flags") and "amx_tile" in line.split() for line in cpuinfo.splitlines()
    )


@contextmanager
def _without_extra_buffers() -> Iterator[None]:
    """Model parameters with ``use_extra_bufts`` off, for models loaded inside the block."""
    import llama_cpp.llama as llama_module

    bindings = llama_module.llama_cpp
    original = bindings.llama_model_default_params

    def defaults() -> Any:
        params = original()
        params.use_extra_bufts = False
        return params

    bindings.llama_model_default_params = defaults
    try:
        yield
    finally:
        bindings.llama_model_default_params = original


def load_llama(model_path: str | Path, **kwargs: Any) -> Any:
    """A ``llama_cpp.Llama`` for ``model_path`` (keyword arguments are passed on)."""
    from llama_cpp import Llama

    with _LOAD_LOCK:
        if cpu_has_amx():
            with _without_extra_buffers():
                return Llama(model_path=str(model_path), **kwargs)
        return Llama(model_path=str(model_path), **kwargs)
