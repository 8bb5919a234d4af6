"""The one interface every model engine offers: generation, chat and the pages use nothing else.

An engine lists and describes models and streams a chat answer constrained by a JSON
schema. Cancelling is closing the iterator :meth:`Engine.chat` returned: the engine then
stops the request (closes the HTTP stream, or stops decoding in-process).
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from persona.core.setting_rules import EngineKind

StopReason = Literal["stop", "length", "cancelled", "other"]


@dataclass(frozen=True)
class Capabilities:
    """What an engine can do beyond chat, so callers branch on facts, not on the engine's kind."""

    manage_models: bool = False
    """Pull and delete models (Ollama)."""
    loaded_models: bool = False
    """List and unload models held in memory (Ollama)."""
    json_schema: bool = True
    """Answers can be constrained by a JSON schema."""
    schema_enum: bool = True
    """The schema constraint honours ``enum`` (used to allow only existing passage IDs)."""
    sized_context: bool = False
    """The context window is chosen per request (Ollama's ``num_ctx``, the built-in engine)."""
    default_parallel: int = 1
    """How many requests to send at once unless the user says otherwise."""


@dataclass(frozen=True)
class ModelInfo:
    """One model an engine can run."""

    name: str
    context_length: int | None = None
    """The largest context the model (or the server's configuration) allows, when known."""
    parameters: int | None = None
    quantization: str = ""
    family: str = ""
    size_bytes: int | None = None
    capabilities: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    """Engine-specific facts (e.g. layer and head counts for memory estimates)."""


@dataclass(frozen=True)
class ChatOptions:
    """Sampling and sizing for one chat call; engines send what they support."""

    temperature: float | None = None
    seed: int | None = None
    max_tokens: int | None = None
    num_ctx: int | None = None
    """The context to run with, for engines whose context is sized per request."""


@dataclass(frozen=True)
class Usage:
    """What one chat call cost and how it ended (the last item a chat stream yields)."""

    prompt_tokens: int | None = None
    output_tokens: int | None = None
    stop_reason: StopReason = "stop"
    seconds: float | None = None
    """Wall time of the call, first byte sent to last byte received."""
    output_seconds: float | None = None
    """Time spent writing the answer, when the engine reports it."""


ChatMessage = Mapping[str, str]
"""``{"role": "system" | "user" | "assistant", "content": "..."}``."""


@runtime_checkable
class Engine(Protocol):
    """A model engine: Ollama, an OpenAI-compatible server, or the built-in llama.cpp engine."""

    kind: EngineKind
    capabilities: Capabilities

    @property
    def label(self) -> str:
        """Which engine and where, for people: ``Ollama at http://127.0.0.1:11434``."""
        ...

    def list_models(self) -> list[ModelInfo]:
        """The models this engine can run now."""
        ...

    def describe(self, model: str) -> ModelInfo:
        """Facts about one model; raises a :class:`~persona.core.errors.PersonaError`."""
        ...

    def chat(
        self,
        model: str,
        messages: Sequence[ChatMessage],
        *,
        schema: Mapping[str, Any] | None = None,
        options: ChatOptions | None = None,
    ) -> Generator[str | Usage, None, None]:
        """Stream the answer: pieces of text, then exactly one :class:`Usage`.

        Closing the iterator early cancels the request.
        """
        ...

    def close(self) -> None:
        """Release connections or memory."""
        ...
