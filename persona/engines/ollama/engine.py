"""Ollama as an :class:`~persona.engines.base.Engine` (local or remote, native ``/api/chat``).

Ollama cuts a prompt longer than ``num_ctx`` without an error, so every call sends a
``num_ctx`` sized for it and an answer whose ``prompt_eval_count`` reached the limit is refused.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Mapping, Sequence
from typing import Any

from persona.core.errors import PromptTruncated
from persona.core.setting_rules import EngineKind
from persona.engines.base import (
    Capabilities,
    ChatMessage,
    ChatOptions,
    ModelInfo,
    Usage,
)
from persona.engines.ollama.client import OllamaClient
from persona.engines.ollama.types import ListedModel, Options, ShowResponse


class OllamaEngine:
    """Runs models on an Ollama server through its native API."""

    kind: EngineKind = "ollama"
    capabilities = Capabilities(
        manage_models=True,
        loaded_models=True,
        json_schema=True,
        schema_enum=True,
        sized_context=True,
        default_parallel=1,
    )

    def __init__(self, client: OllamaClient | None = None, *, host: str | None = None) -> None:
        self.client = client or OllamaClient(host)

    @property
    def label(self) -> str:
        return f"Ollama at {self.client.host}"

    def list_models(self) -> list[ModelInfo]:
        return [listed_info(listed) for listed in self.client.list_models()]

    def describe(self, model: str) -> ModelInfo:
        return show_info(model, self.client.show(model))

    def chat(
        self,
        model: str,
        messages: Sequence[ChatMessage],
        *,
        schema: Mapping[str, Any] | None = None,
        options: ChatOptions | None = None,
    ) -> Generator[str | Usage, None, None]:
        opts = options or ChatOptions()
        sent = Options(
            num_ctx=opts.num_ctx,
            temperature=opts.temperature,
            seed=opts.seed,
            num_predict=opts.max_tokens,
        )
        started = time.monotonic()
        stream = self.client.chat_stream(model, list(messages), format=schema, options=sent)
        try:
            for chunk in stream:
                if chunk.message.content:
                    yield chunk.message.content
                if not chunk.done:
                    continue
                prompt_tokens = chunk.prompt_eval_count or 0
                if opts.num_ctx and prompt_tokens >= opts.num_ctx - 1:
                    raise PromptTruncated(self.label, opts.num_ctx)
                yield Usage(
                    prompt_tokens=chunk.prompt_eval_count,
                    output_tokens=chunk.eval_count,
                    stop_reason="length" if chunk.done_reason == "length" else "stop",
                    seconds=time.monotonic() - started,
                    output_seconds=chunk.eval_duration / 1e9 if chunk.eval_duration else None,
                )
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()

    def close(self) -> None:
        self.client.close()


def listed_info(listed: ListedModel) -> ModelInfo:
    """What ``GET /api/tags`` says of a model (no context length: that needs ``show``)."""
    return ModelInfo(
        name=listed.name,
        quantization=listed.details.quantization_level,
        family=listed.details.family,
        size_bytes=listed.size or None,
        details={"parameter_size": listed.details.parameter_size},
    )


def show_info(model: str, show: ShowResponse) -> ModelInfo:
    """What ``POST /api/show`` says of a model."""
    return ModelInfo(
        name=model,
        context_length=show.context_length,
        parameters=show.parameter_count,
        quantization=show.quantization,
        family=show.details.family,
        capabilities=tuple(show.capabilities),
        details={
            "architecture": show.architecture,
            "block_count": show.block_count,
            "head_count": show.head_count,
            "head_count_kv": show.head_count_kv,
            "embedding_length": show.embedding_length,
        },
    )
