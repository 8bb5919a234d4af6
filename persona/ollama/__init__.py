"""A synchronous, typed client for the Ollama REST API (knows nothing about personas)."""

from persona.ollama.client import OllamaClient
from persona.ollama.pull import PullTracker
from persona.ollama.types import (
    ChatChunk,
    ChatResponse,
    GenerateChunk,
    GenerateResponse,
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
    "ChatResponse",
    "GenerateChunk",
    "GenerateResponse",
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
