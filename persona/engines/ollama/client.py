"""`OllamaClient`: one `requests.Session`, typed models, every failure mapped to `PersonaError`."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

import requests
import urllib3
from pydantic import BaseModel, ValidationError

from persona.core.errors import (
    EngineError,
    ModelNotFound,
    OllamaError,
    OllamaServerError,
    OllamaTimeout,
    OllamaUnreachable,
)
from persona.core.setting_rules import Timeouts, resolve_ollama_host
from persona.core.settings import load_settings
from persona.engines.network import connection_reason
from persona.engines.ollama.types import (
    ChatChunk,
    ListedModel,
    Message,
    Options,
    PullChunk,
    RunningModel,
    ShowResponse,
)

T = TypeVar("T", bound=BaseModel)

ResponseFormat = str | Mapping[str, Any] | None
"""`"json"`, a JSON Schema (structured output), or nothing."""

_READ_SIZE = 64 * 1024


class OllamaClient:
    """A synchronous client for the Ollama REST API.

    The host and timeouts come from the arguments, else from the settings in force
    (:func:`~persona.core.settings.load_settings`: ``OLLAMA_HOST``, ``settings.toml``...).
    Quick calls use ``timeouts.request``; generation and pulls use ``timeouts.load``
    (no limit by default: Ollama sends nothing while it loads a model). ``api_key`` is sent
    as a bearer token, for a server behind a reverse proxy that asks for one.
    """

    def __init__(
        self,
        host: str | None = None,
        *,
        timeouts: Timeouts | None = None,
        session: requests.Session | None = None,
        api_key: str | None = None,
    ) -> None:
        if host is None or timeouts is None:
            settings = load_settings()
            host = settings.ollama_host if host is None else host
            timeouts = timeouts or settings.timeouts
        self.host = resolve_ollama_host(host)
        self.timeouts = timeouts
        self._session = session or requests.Session()
        if api_key:
            self._session.headers["Authorization"] = f"Bearer {api_key}"

    def __enter__(self) -> OllamaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    # --- quick calls ---------------------------------------------------------

    def version(self) -> str:
        """The server's version; the cheapest way to ask "is Ollama running?"."""
        return str(self._json("GET", "/api/version").get("version", ""))

    def list_models(self) -> list[ListedModel]:
        """Models installed locally, as `GET /api/tags` lists them."""
        data = self._json("GET", "/api/tags")
        return [ListedModel.model_validate(m) for m in data.get("models") or []]

    def show(self, model: str) -> ShowResponse:
        """Details, architecture numbers and capabilities of an installed model."""
        data = self._json("POST", "/api/show", {"model": model}, model=model)
        return ShowResponse.model_validate(data)

    def ps(self) -> list[RunningModel]:
        """Models currently loaded in memory."""
        data = self._json("GET", "/api/ps")
        return [RunningModel.model_validate(m) for m in data.get("models") or []]

    def delete(self, model: str) -> None:
        """Remove an installed model. Raises `ModelNotFound` when it is not installed."""
        self._request("DELETE", "/api/delete", {"model": model}, model=model).close()

    def unload(self, model: str) -> None:
        """Free the memory a loaded model holds (``keep_alive: 0``)."""
        self._json("POST", "/api/generate", {"model": model, "keep_alive": 0}, model=model)

    # --- long calls ----------------------------------------------------------

    def pull(self, model: str) -> Iterator[PullChunk]:
        """Download a model, yielding Ollama's progress lines. Closing the iterator cancels."""
        saw_success = False
        try:
            for chunk in self._stream("/api/pull", {"model": model, "stream": True}, PullChunk):
                saw_success = saw_success or chunk.status == "success"
                yield chunk
        except OllamaServerError as exc:
            if "file does not exist" in exc.message or "not found" in exc.message:
                raise OllamaError(
                    f"Ollama's library has no model called '{model}' ({exc.message}). "
                    "Check the name at https://ollama.com/library, e.g. 'llama3.2:3b'."
                ) from exc
            raise
        if not saw_success:
            raise OllamaError(
                f"The download of '{model}' stopped before it finished. "
                "Pull it again: Ollama resumes where it stopped."
            )

    def chat_stream(
        self,
        model: str,
        messages: Sequence[Message | Mapping[str, Any]],
        *,
        format: ResponseFormat = None,
        options: Options | Mapping[str, Any] | None = None,
        keep_alive: str | int | None = None,
        think: bool | None = None,
    ) -> Iterator[ChatChunk]:
        """A chat answer as it is produced; the last chunk has ``done=True`` and the stats."""
        body = _body(model, format, options, keep_alive, think, messages=_messages(messages))
        return self._until_done(self._stream("/api/chat", body, ChatChunk, model=model))

    # --- plumbing ------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        model: str | None = None,
        long: bool = False,
        stream: bool = False,
    ) -> requests.Response:
        timeout = (self.timeouts.connect, self.timeouts.load if long else self.timeouts.request)
        try:
            response = self._session.request(
                method, self.host + path, json=body, timeout=timeout, stream=stream
            )
        except requests.exceptions.ConnectTimeout as exc:
            raise OllamaUnreachable(self.host, "no answer to the connection attempt") from exc
        except requests.exceptions.ReadTimeout as exc:
            raise OllamaTimeout(self.host, "answer", timeout[1]) from exc
        except requests.exceptions.SSLError as exc:
            raise OllamaError(
                f"Something answers at {self.host}, but the secure (https) connection failed: "
                f"{connection_reason(exc)}. Check the address (http or https) on the Settings page."
            ) from exc
        except requests.exceptions.ConnectionError as exc:
            raise OllamaUnreachable(self.host, connection_reason(exc)) from exc
        except requests.exceptions.RequestException as exc:
            raise OllamaError(
                f"Could not send the request to Ollama at {self.host} ({connection_reason(exc)}). "
                "Check the address on the Settings page."
            ) from exc
        if response.status_code >= 400:
            try:
                raise _http_error(response, model, self.host)
            finally:
                response.close()
        return response

    def _json(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        model: str | None = None,
        long: bool = False,
    ) -> dict[str, Any]:
        response = self._request(method, path, body, model=model, long=long)
        try:
            data = response.json()
        except (ValueError, requests.exceptions.RequestException) as exc:
            raise OllamaServerError(
                response.status_code,
                f"unexpected answer to {path}: {response.text[:200]!r}. Is this address really "
                "an Ollama server?",
                host=self.host,
            ) from exc
        if not isinstance(data, dict):
            raise OllamaServerError(
                response.status_code, f"unexpected answer to {path}", host=self.host
            )
        if "error" in data:
            raise _error_text(str(data["error"]), None, model, self.host)
        return data

    def _stream(
        self, path: str, body: Mapping[str, Any], kind: type[T], *, model: str | None = None
    ) -> Iterator[T]:
        response = self._request("POST", path, body, model=model, long=True, stream=True)
        try:
            for line in _ndjson_lines(response):
                if b'"error"' in line:
                    error = _stream_error(line)
                    if error is not None:
                        raise _error_text(error, None, model, self.host)
                try:
                    yield kind.model_validate_json(line)
                except ValidationError as exc:
                    raise OllamaServerError(
                        None,
                        f"unreadable line in the stream from {path}: {line[:200]!r}",
                        host=self.host,
                    ) from exc
        except (requests.exceptions.ReadTimeout, urllib3.exceptions.ReadTimeoutError) as exc:
            raise OllamaTimeout(self.host, "keep answering", self.timeouts.load) from exc
        except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise OllamaError(
                f"The connection to Ollama at {self.host} broke during the answer ({exc}). "
                "Check that Ollama is still running, then try again."
            ) from exc
        finally:
            response.close()

    @staticmethod
    def _until_done(chunks: Iterator[T]) -> Iterator[T]:
        done = False
        for chunk in chunks:
            done = bool(getattr(chunk, "done", False))
            yield chunk
        if not done:
            raise OllamaError(
                "Ollama's answer ended before it was complete. "
                "The server may have restarted or run out of memory: try again."
            )


def _blocks(response: requests.Response) -> Iterator[bytes]:
    """The body as it arrives: HTTP chunks as they come (Ollama streams chunked)."""
    raw = response.raw
    if raw.chunked and raw.supports_chunked_reads():
        yield from raw.read_chunked(decode_content=True)
    elif hasattr(raw, "read1"):  # urllib3 >= 2.2: whatever has arrived, without waiting
        while block := raw.read1(_READ_SIZE):
            yield block
    else:
        yield from raw.stream(1024, decode_content=True)


def _ndjson_lines(response: requests.Response) -> Iterator[bytes]:
    """Split a streamed body into lines as bytes arrive."""
    pending = b""
    for block in _blocks(response):
        if pending:
            block = pending + block
        lines = block.split(b"\n")
        pending = lines.pop()
        for line in lines:
            if line.strip():
                yield line
    if pending.strip():
        yield pending


def _stream_error(line: bytes) -> str | None:
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return None


def _http_error(response: requests.Response, model: str | None, host: str) -> EngineError:
    text = response.text
    try:
        data = json.loads(text)
        message = str(data.get("error", text)) if isinstance(data, dict) else text
    except ValueError:
        message = text.strip() or response.reason or "no details"
    if response.status_code in (401, 403):
        return OllamaServerError(
            response.status_code,
            f"{message[:300]}. The server (or a proxy in front of it) wants a valid API key: "
            "set OLLAMA_API_KEY, or paste the key on the Settings page.",
            host=host,
        )
    return _error_text(message[:1000], response.status_code, model, host)


def _error_text(message: str, status: int | None, model: str | None, host: str) -> EngineError:
    if model and (status == 404 or status is None) and "not found" in message.lower():
        return ModelNotFound(model, message)
    return OllamaServerError(status, message, host=host)


def _body(
    model: str,
    format: ResponseFormat,
    options: Options | Mapping[str, Any] | None,
    keep_alive: str | int | None,
    think: bool | None,
    **fields: Any,
) -> dict[str, Any]:
    if isinstance(options, Options):
        options = options.model_dump(exclude_none=True)
    body: dict[str, Any] = {
        "model": model,
        **fields,
        "format": format,
        "options": dict(options) if options else None,
        "keep_alive": keep_alive,
        "think": think,
    }
    return {k: v for k, v in body.items() if v is not None}


def _messages(messages: Sequence[Message | Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        m.model_dump(exclude_none=True) if isinstance(m, Message) else dict(m) for m in messages
    ]
