"""An in-process fake of an OpenAI-compatible server for the ``openai`` SDK.

The SDK (3.x) is built on ``httpx2``, which ``responses`` cannot intercept, so the fake is an
``httpx2.MockTransport`` handler; the server-specific routes Persona reads with ``requests``
(llama.cpp's ``/props``, LM Studio's ``/api/v0/models``, Ollama's ``/api/version``) are
mocked with ``responses``. Bodies, SSE chunks and error shapes follow the real servers:
OpenAI/vLLM chat-completion chunks, a final usage chunk when ``stream_options.include_usage``
is set, ``data: [DONE]``, and each server's own error body.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import openai

BASE_URL = "http://llm.test:8000/v1"

Reply = Callable[[dict[str, Any]], httpx2.Response]


def chunk(
    content: str | None = None,
    *,
    finish_reason: str | None = None,
    role: str | None = None,
    model: str = "m",
) -> dict[str, Any]:
    """One ``chat.completion.chunk`` as vLLM and OpenAI send it."""
    delta: dict[str, Any] = {}
    if role:
        delta["role"] = role
    if content is not None:
        delta["content"] = content
    return {
        "id": "chatcmpl-7",
        "object": "chat.completion.chunk",
        "created": 1_760_000_000,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }


def usage_chunk(prompt: int, completion: int, model: str = "m") -> dict[str, Any]:
    """The last chunk with ``stream_options: {"include_usage": true}``: no choices, usage."""
    return {
        "id": "chatcmpl-7",
        "object": "chat.completion.chunk",
        "created": 1_760_000_000,
        "model": model,
        "choices": [],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


class Stream(httpx2.SyncByteStream):
    """An SSE body that records whether the client closed it (cancellation)."""

    def __init__(self, events: list[bytes]) -> None:
        self.events = events
        self.sent = 0
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        for event in self.events:
            self.sent += 1
            yield event

    def close(self) -> None:
        self.closed = True


def sse(chunks: list[dict[str, Any]], *, done: bool = True) -> Stream:
    events = [f"data: {json.dumps(c)}\n\n".encode() for c in chunks]
    if done:
        events.append(b"data: [DONE]\n\n")
    return Stream(events)


def streamed(
    text: str,
    *,
    finish_reason: str = "stop",
    usage: tuple[int, int] | None = (120, 30),
    piece: int = 5,
) -> Reply:
    """A reply streaming ``text`` in pieces, then the finish chunk and (when asked) usage."""

    def reply(body: dict[str, Any]) -> httpx2.Response:
        chunks = [chunk("", role="assistant", model=body["model"])]
        chunks += [
            chunk(text[i : i + piece], model=body["model"]) for i in range(0, len(text), piece)
        ]
        chunks.append(chunk(finish_reason=finish_reason, model=body["model"]))
        wants_usage = (body.get("stream_options") or {}).get("include_usage")
        if usage and wants_usage:
            chunks.append(usage_chunk(*usage, model=body["model"]))
        return httpx2.Response(
            200, headers={"content-type": "text/event-stream"}, stream=sse(chunks)
        )

    return reply


def openai_error(status: int, message: str, kind: str = "invalid_request_error") -> Reply:
    """An error body as OpenAI (and LiteLLM) send it: ``{"error": {"message", "type"...}}``."""

    def reply(_body: dict[str, Any]) -> httpx2.Response:
        error = {"message": message, "type": kind, "param": None, "code": None}
        return httpx2.Response(status, json={"error": error})

    return reply


def vllm_error(status: int, message: str) -> Reply:
    """An error body as vLLM sends it: ``{"object": "error", "message", "type", "code"}``."""

    def reply(_body: dict[str, Any]) -> httpx2.Response:
        return httpx2.Response(
            status,
            json={
                "object": "error",
                "message": message,
                "type": "BadRequestError",
                "param": None,
                "code": status,
            },
        )

    return reply


def fastapi_422(field: str, message: str) -> Reply:
    """A request validation error as a FastAPI server sends it."""

    def reply(_body: dict[str, Any]) -> httpx2.Response:
        detail = [{"type": "literal_error", "loc": ["body", *field.split(".")], "msg": message}]
        return httpx2.Response(422, json={"detail": detail})

    return reply


def llama_cpp_python_500(field: str, message: str) -> Reply:
    """A validation error as llama-cpp-python's server really sends it: HTTP 500 with the
    pydantic error inside an OpenAI-style body (seen from ``python -m llama_cpp.server``)."""

    def reply(_body: dict[str, Any]) -> httpx2.Response:
        loc = ("body", *field.split("."))
        text = (
            f"1 validation error:\n{{'type': 'literal_error', 'loc': {loc!r}, 'msg': {message!r}}}"
        )
        error = {"message": text, "type": "internal_server_error", "param": None, "code": None}
        return httpx2.Response(500, json={"error": error})

    return reply


@dataclass
class FakeOpenAI:
    """The routes ``/v1/models`` and ``/v1/chat/completions``; chat replies are queued."""

    models: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"id": "m", "object": "model", "created": 1, "owned_by": "vllm", "max_model_len": 8192}
        ]
    )
    replies: deque[Reply] = field(default_factory=deque)
    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    streams: list[Stream] = field(default_factory=list)

    def queue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def chat_bodies(self) -> list[dict[str, Any]]:
        return [body for method, path, body in self.requests if path.endswith("/completions")]

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content) if request.content else {}
        self.requests.append((request.method, request.url.path, body))
        if request.method == "GET" and request.url.path == "/v1/models":
            return httpx2.Response(200, json={"object": "list", "data": self.models})
        if request.method == "POST" and request.url.path == "/v1/chat/completions":
            if not self.replies:
                raise AssertionError("FakeOpenAI ran out of replies")
            response = self.replies.popleft()(body)
            if isinstance(response.stream, Stream):
                self.streams.append(response.stream)
            return response
        return httpx2.Response(404, json={"error": {"message": f"no route {request.url.path}"}})

    def client(self, base_url: str = BASE_URL, api_key: str = "sk-test") -> openai.OpenAI:
        """An SDK client wired to this fake (no retries, so errors surface at once)."""
        return openai.OpenAI(
            base_url=base_url,
            api_key=api_key,
            max_retries=0,
            http_client=httpx2.Client(transport=httpx2.MockTransport(self.handle)),
        )
