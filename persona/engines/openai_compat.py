"""Any OpenAI-compatible server (vLLM, llama.cpp's server, LM Studio, a LiteLLM proxy...) as an
:class:`~persona.engines.base.Engine`, through the official ``openai`` SDK.

Such servers choose the context themselves, so Persona never sizes it per request: it asks
the server how long a prompt may be (vLLM's ``max_model_len`` in ``/v1/models``, llama.cpp's
``/props``, LM Studio's ``/api/v0/models``; else the "Context length" setting) and plans
chunks that fit. These servers refuse a prompt that is too long with an error, except
Ollama's own ``/v1`` endpoint, which ignores ``num_ctx`` and cuts silently: Persona warns
when the address is Ollama's and points to the native Ollama engine.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Generator, Mapping, Sequence
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import openai
import requests

from persona.core.errors import (
    SETTINGS_PAGE,
    EngineError,
    EngineServerError,
    EngineTimeout,
    EngineUnreachable,
    ModelNotFound,
    PersonaError,
    PromptTruncated,
)
from persona.core.setting_rules import EngineKind, Timeouts, normalize_base_url
from persona.engines.base import (
    Capabilities,
    ChatMessage,
    ChatOptions,
    ModelInfo,
    Usage,
)
from persona.engines.network import connection_reason

NAME = "The OpenAI-compatible server"
OLLAMA_PORT = 11434
SCHEMA_NAME = "answer"
FormatMode = Literal["json_schema", "json_object"]

_CONTEXT_ERRORS = re.compile(
    r"(maximum context length|context length|context window|too many tokens|"
    r"exceeds? the (?:model'?s? )?(?:maximum|context))",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"(?:context window of|maximum context length is|max_model_len[= ]*)\s*(\d+)")

SERVER_HINT = (
    "Start the server (for example `vllm serve MODEL`, `llama-server -m model.gguf`, or LM "
    f"Studio's server), or correct its address (OPENAI_BASE_URL, or {SETTINGS_PAGE})."
)
KEY_HINT = f"The server wants a valid API key: set OPENAI_API_KEY, or paste it on {SETTINGS_PAGE}."
OLLAMA_WARNING = (
    "This address is Ollama's own OpenAI-compatible endpoint (/v1): it ignores the context "
    "size Persona asks for and silently cuts long prompts, so personas could miss part of your "
    "data. Choose the Ollama engine on the Settings page instead (same server, native API)."
)


def server_root(base_url: str) -> str:
    """The server's root URL: ``http://host:8000/v1`` → ``http://host:8000``."""
    parts = urlsplit(base_url)
    path = re.sub(r"/v1/?$", "", parts.path)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def public_url(url: str) -> str:
    """``url`` without any user:password part, for labels and messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class OpenAIEngine:
    """Runs models on an OpenAI-compatible server (``/v1/models``, ``/v1/chat/completions``)."""

    kind: EngineKind = "openai"
    capabilities = Capabilities(
        manage_models=False,
        loaded_models=False,
        json_schema=True,
        schema_enum=True,
        sized_context=False,
        default_parallel=4,
    )

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeouts: Timeouts | None = None,
        context_length: int | None = None,
        client: openai.OpenAI | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = normalize_base_url(base_url)
        self.address = public_url(self.base_url)
        self.timeouts = timeouts or Timeouts()
        self.context_length = context_length
        """The "Context length" setting: used when the server does not say."""
        self._client = client or openai.OpenAI(
            base_url=self.base_url,
            api_key=api_key or "no-key",
            timeout=openai.Timeout(self.timeouts.load, connect=self.timeouts.connect),
            max_retries=1,
        )
        self._session = session or requests.Session()
        if api_key:
            self._session.headers["Authorization"] = f"Bearer {api_key}"
        self._format: FormatMode = "json_schema"
        self._usage_option = True
        self._probes: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def label(self) -> str:
        return f"OpenAI-compatible server at {self.address}"

    # --- models ----------------------------------------------------------------------------

    def list_models(self) -> list[ModelInfo]:
        try:
            listed = list(self._quick().models.list())
        except openai.OpenAIError as exc:
            raise self._error(exc) from exc
        return [self._info(model.id, model.model_extra or {}) for model in listed]

    def describe(self, model: str) -> ModelInfo:
        models = self.list_models()
        for info in models:
            if info.name == model:
                return info
        offered = ", ".join(info.name for info in models) or "none"
        raise ModelNotFound(
            model,
            engine=self.label,
            hint=f"It serves: {offered}. Pick one of those (Generate page, or the default model "
            f"on {SETTINGS_PAGE}), or load the model on the server.",
        )

    def _info(self, name: str, extra: Mapping[str, Any]) -> ModelInfo:
        context, source = self._context(name, extra)
        found = extra.get("meta")
        meta: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
        details: dict[str, Any] = {"context_source": source, "owned_by": extra.get("owned_by")}
        slots = self._llamacpp_props().get("total_slots")
        if isinstance(slots, int) and slots > 0:
            details["slots"] = slots
        return ModelInfo(
            name=name,
            context_length=context,
            parameters=_positive(meta.get("n_params")),
            size_bytes=_positive(meta.get("size")),
            details=details,
        )

    def _context(self, name: str, extra: Mapping[str, Any]) -> tuple[int | None, str]:
        """The longest prompt + answer the server takes for ``name``, and who said so."""
        found = _positive(extra.get("max_model_len"))
        if found:
            return found, "the server (max_model_len)"
        props = self._llamacpp_props()
        settings = props.get("default_generation_settings")
        found = _positive(settings.get("n_ctx") if isinstance(settings, Mapping) else None)
        found = found or _positive(props.get("n_ctx"))
        if found:
            return found, "the server (llama.cpp /props)"
        for entry in self._lmstudio_models():
            if entry.get("id") == name:
                found = _positive(entry.get("loaded_context_length")) or _positive(
                    entry.get("max_context_length")
                )
                if found:
                    return found, "the server (LM Studio)"
        found = _positive(extra.get("context_length")) or _positive(extra.get("context_window"))
        if found:
            return found, "the server (model list)"
        if self.context_length:
            return self.context_length, "the Context length setting"
        return None, "unknown"

    # --- server facts ------------------------------------------------------------------------

    def warnings(self) -> list[str]:
        """What the user should know about this server before running on it."""
        return [OLLAMA_WARNING] if self.is_ollama() else []

    def is_ollama(self) -> bool:
        """Whether the address is an Ollama server's own ``/v1`` endpoint."""
        if urlsplit(self.base_url).port == OLLAMA_PORT:
            return True
        version = self._probe("/api/version")
        return isinstance(version, Mapping) and isinstance(version.get("version"), str)

    def _llamacpp_props(self) -> Mapping[str, Any]:
        props = self._probe("/props")
        return props if isinstance(props, Mapping) else {}

    def _lmstudio_models(self) -> list[Mapping[str, Any]]:
        listing = self._probe("/api/v0/models")
        data = listing.get("data") if isinstance(listing, Mapping) else None
        return [entry for entry in data or [] if isinstance(entry, Mapping)]

    def _probe(self, path: str) -> Any:
        """``GET`` a server-specific route beside ``/v1``, once; None when it is not there."""
        with self._lock:
            if path in self._probes:
                return self._probes[path]
        try:
            response = self._session.get(
                server_root(self.base_url) + path,
                timeout=(self.timeouts.connect, self.timeouts.request),
            )
            found = response.json() if response.status_code == 200 else None
        except (requests.RequestException, ValueError):
            found = None
        with self._lock:
            self._probes[path] = found
        return found

    # --- chat ------------------------------------------------------------------------------

    def chat(
        self,
        model: str,
        messages: Sequence[ChatMessage],
        *,
        schema: Mapping[str, Any] | None = None,
        options: ChatOptions | None = None,
    ) -> Generator[str | Usage, None, None]:
        opts = options or ChatOptions()
        body: dict[str, Any] = {
            "model": model,
            "messages": [{"role": m["role"], "content": m["content"]} for m in messages],
            "stream": True,
        }
        if opts.temperature is not None:
            body["temperature"] = opts.temperature
        if opts.seed is not None:
            body["seed"] = opts.seed
        if opts.max_tokens:
            body["max_tokens"] = opts.max_tokens
        started = time.monotonic()
        stream = self._open(body, schema, model)
        usage: Any = None
        reason: str | None = None
        first_at: float | None = None
        try:
            for chunk in stream:
                if getattr(chunk, "usage", None) is not None:
                    usage = chunk.usage
                for choice in chunk.choices or ():
                    text = choice.delta.content if choice.delta else None
                    if text:
                        first_at = first_at or time.monotonic()
                        yield text
                    reason = choice.finish_reason or reason
        except openai.APIConnectionError as exc:
            raise EngineError(
                f"The connection to {self.label} broke during the answer "
                f"({_detail(exc)}). Check that the server is still running, then try again."
            ) from exc
        except openai.OpenAIError as exc:
            raise self._error(exc, model) from exc
        finally:
            stream.close()
        if reason is None:
            raise EngineError(
                f"The answer from {self.label} ended before it was complete. The server may "
                "have restarted or run out of memory: try again."
            )
        ended = time.monotonic()
        yield Usage(
            prompt_tokens=getattr(usage, "prompt_tokens", None),
            output_tokens=getattr(usage, "completion_tokens", None),
            stop_reason="length" if reason == "length" else "stop",
            seconds=ended - started,
            output_seconds=ended - first_at if first_at else None,
        )

    def _open(self, body: dict[str, Any], schema: Mapping[str, Any] | None, model: str) -> Any:
        """Start the streamed call; falls back to what the server supports (llama.cpp's
        ``json_object`` + ``schema``; no ``stream_options``) and remembers it. Servers refuse
        an unknown field with 400, 422 or even 500 (llama-cpp-python): the message decides."""
        for _ in range(3):
            sent = dict(body)
            if self._usage_option:
                sent["stream_options"] = {"include_usage": True}
            if schema is not None:
                sent["response_format"] = _response_format(self._format, schema)
            try:
                return self._client.chat.completions.create(**sent)
            except openai.APIStatusError as exc:
                text = _detail(exc).lower()
                if (
                    schema is not None
                    and self._format == "json_schema"
                    and ("response_format" in text or "json_schema" in text)
                ):
                    self._format = "json_object"
                    continue
                if self._usage_option and "stream_options" in text:
                    self._usage_option = False
                    continue
                raise self._error(exc, model) from exc
            except openai.OpenAIError as exc:
                raise self._error(exc, model) from exc
        raise EngineServerError(
            NAME,
            400,
            "it accepts neither JSON-schema response format Persona knows "
            "(json_schema, json_object with a schema)",
            address=self.address,
        )

    # --- errors ----------------------------------------------------------------------------

    def _quick(self) -> openai.OpenAI:
        return self._client.with_options(
            timeout=openai.Timeout(self.timeouts.request, connect=self.timeouts.connect)
        )

    def _error(self, exc: openai.OpenAIError, model: str | None = None) -> PersonaError:
        """The SDK's error as Persona's, saying whether the server is there at all."""
        detail = _detail(exc)
        if isinstance(exc, openai.APITimeoutError):
            return EngineTimeout(NAME, self.address, "answer", self.timeouts.load)
        if isinstance(exc, openai.APIConnectionError):
            return EngineUnreachable(NAME, self.address, connection_reason(exc), hint=SERVER_HINT)
        status = getattr(exc, "status_code", None)
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            return EngineServerError(NAME, status, detail, address=self.address, hint=KEY_HINT)
        if isinstance(exc, openai.NotFoundError):
            if model and "model" in detail.lower():
                return ModelNotFound(
                    model,
                    detail,
                    engine=self.label,
                    hint=f"The server says: {detail} Pick a model it lists (Hardware & models "
                    "page), or load this one on the server.",
                )
            return EngineServerError(
                NAME,
                status,
                detail,
                address=self.address,
                hint=f"Check that the address ends in /v1 ({SETTINGS_PAGE}).",
            )
        if isinstance(exc, openai.BadRequestError) and _CONTEXT_ERRORS.search(detail):
            number = _NUMBER.search(detail)
            limit = int(number.group(1)) if number else (self.context_length or 0)
            return PromptTruncated(self.label, limit, refused=True)
        if isinstance(exc, openai.RateLimitError):
            return EngineServerError(
                NAME,
                status,
                detail,
                address=self.address,
                hint=f"The server is busy: lower Parallel requests on {SETTINGS_PAGE}, "
                "or try again later.",
            )
        return EngineServerError(NAME, status, detail, address=self.address)

    def close(self) -> None:
        self._client.close()
        self._session.close()


def _response_format(mode: FormatMode, schema: Mapping[str, Any]) -> dict[str, Any]:
    if mode == "json_schema":
        return {"type": "json_schema", "json_schema": {"name": SCHEMA_NAME, "schema": schema}}
    return {"type": "json_object", "schema": schema}


def _positive(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if value > 0 else None


def _detail(exc: openai.OpenAIError) -> str:
    """The server's own words from an SDK error (the ``error.message`` of its body)."""
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping) and inner.get("message"):
            return str(inner["message"])[:1000]
        if isinstance(body.get("detail"), str | list):
            return str(body["detail"])[:1000]
        if isinstance(inner, str):
            return inner[:1000]
    return (getattr(exc, "message", "") or str(exc))[:1000]
