"""Typed request and response bodies of the Ollama REST API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", protected_namespaces=())


class ModelDetails(_Body):
    parent_model: str = ""
    format: str = ""
    family: str = ""
    families: list[str] | None = None
    parameter_size: str = ""
    quantization_level: str = ""


class ListedModel(_Body):
    """A model installed locally (`GET /api/tags`)."""

    name: str
    model: str = ""
    modified_at: datetime | None = None
    size: int = 0
    digest: str = ""
    details: ModelDetails = Field(default_factory=ModelDetails)


class ShowResponse(_Body):
    """Everything Ollama knows about one model (`POST /api/show`)."""

    details: ModelDetails = Field(default_factory=ModelDetails)
    model_info: dict[str, Any] = Field(default_factory=dict)
    capabilities: list[str] = Field(default_factory=list)
    parameters: str = ""
    template: str = ""
    license: str = ""
    modified_at: datetime | None = None

    def _arch_value(self, key: str) -> Any:
        arch = self.model_info.get("general.architecture", "")
        return self.model_info.get(f"{arch}.{key}") if arch else None

    @property
    def architecture(self) -> str:
        return str(self.model_info.get("general.architecture", ""))

    @property
    def context_length(self) -> int | None:
        """The longest context the model was trained for, in tokens."""
        value = self._arch_value("context_length")
        return int(value) if value else None

    @property
    def parameter_count(self) -> int | None:
        value = self.model_info.get("general.parameter_count")
        return int(value) if value else None

    @property
    def block_count(self) -> int | None:
        value = self._arch_value("block_count")
        return int(value) if value else None

    @property
    def head_count(self) -> int | None:
        value = self._arch_value("attention.head_count")
        return int(value) if isinstance(value, int | float) and value else None

    @property
    def head_count_kv(self) -> int | None:
        value = self._arch_value("attention.head_count_kv")
        return int(value) if isinstance(value, int | float) and value else None

    @property
    def embedding_length(self) -> int | None:
        value = self._arch_value("embedding_length")
        return int(value) if value else None

    @property
    def quantization(self) -> str:
        return self.details.quantization_level


class RunningModel(_Body):
    """A model loaded in memory (`GET /api/ps`)."""

    name: str
    model: str = ""
    size: int = 0
    size_vram: int = 0
    digest: str = ""
    details: ModelDetails = Field(default_factory=ModelDetails)
    expires_at: datetime | None = None
    context_length: int | None = None

    @property
    def gpu_fraction(self) -> float:
        """Share of the model held in GPU memory (0 = all on the CPU)."""
        return min(1.0, self.size_vram / self.size) if self.size else 0.0


class PullChunk(_Body):
    """One line of a pull's NDJSON progress stream."""

    status: str = ""
    digest: str | None = None
    total: int | None = None
    completed: int | None = None


class Options(_Body):
    """Model options. Only what is set is sent."""

    model_config = ConfigDict(extra="allow")

    num_ctx: int | None = None
    temperature: float | None = None
    seed: int | None = None
    num_predict: int | None = None
    top_p: float | None = None
    stop: list[str] | None = None


class Message(_Body):
    role: Literal["system", "user", "assistant", "tool"]
    content: str = ""
    thinking: str | None = None


class _Stats(_Body):
    model: str = ""
    created_at: datetime | None = None
    done: bool = False
    done_reason: str | None = None
    total_duration: int | None = None
    load_duration: int | None = None
    prompt_eval_count: int | None = None
    prompt_eval_duration: int | None = None
    eval_count: int | None = None
    eval_duration: int | None = None

    @property
    def tokens_per_second(self) -> float | None:
        if self.eval_count and self.eval_duration:
            return self.eval_count / self.eval_duration * 1e9
        return None


class ChatChunk(_Stats):
    """One streamed piece of `POST /api/chat`."""

    message: Message = Field(default_factory=lambda: Message(role="assistant"))
