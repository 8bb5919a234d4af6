"""A synchronous, typed client for the Ollama REST API (knows nothing about personas)."""

from persona.engines.ollama.client import OllamaClient
from persona.engines.ollama.pull import PullTracker
from persona.engines.ollama.types import (
    ChatChunk,
    ListedModel,
    Message,
    ModelDetails,
    Options,
    PullChunk,
    RunningModel,
    ShowResponse,
)

__all__ = [
    "ChatChunk",
    "ListedModel",
    "Message",
    "ModelDetails",
    "OllamaClient",
    "Options",
    "PullChunk",
    "PullTracker",
    "RunningModel",
    "ShowResponse",
]
