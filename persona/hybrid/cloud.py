"""The Claude adapter for the optional hybrid step: refine a local draft persona.

Built on the ``anthropic`` SDK, which retries 408/409/429/5xx/529 itself (honouring
``retry-after``). Every SDK error becomes a :class:`~persona.core.errors.FrontierError` whose
message says what to do next and never contains the API key. Creating a client sends
nothing: each request is made by a method the caller chose to call.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, cast
from urllib.parse import urlsplit

import anthropic
import httpx2
from anthropic.types import MessageParam, OutputConfigParam
from pydantic import BaseModel, ValidationError

from persona.core.errors import (
    FrontierAuthError,
    FrontierError,
    FrontierRateLimited,
    InputError,
    UnusableAnswer,
)
from persona.core.schema import Persona, llm_json_schema
from persona.hybrid.pricing import BilledTokens

DEFAULT_MODELS: tuple[str, ...] = ("claude-sonnet-4-6", "claude-opus-4-6", "claude-haiku-4-5")
"""Offered until the user asks for the live list (or when it cannot be fetched)."""
DEFAULT_MODELS_AS_OF = "2026-11-01"
"""When :data:`DEFAULT_MODELS` were checked against Anthropic's model list."""
DEFAULT_TIMEOUT = 120.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_TOKENS = 4096
CHARS_PER_TOKEN = 4
REQUEST_OVERHEAD_TOKENS = 64
"""Tokens a request costs beyond its text (roles, message framing), for the upper bound."""
REPAIR_ATTEMPTS = 1
"""How many times an answer that does not match the schema is sent back to be fixed."""
KEY_VARIABLE = "ANTHROPIC_API_KEY"
KEYS_URL = "https://console.anthropic.com/settings/keys"

PersonaLike = Persona | Mapping[str, Any] | str
"""A persona, a JSON string of one, or a payload already prepared to be sent as it is."""

OUTPUT_FORMAT: dict[str, Any] = {
    "type": "json_schema",
    "schema": anthropic.transform_schema(llm_json_schema(Persona)),
}
"""Structured output: Claude's answer is constrained to the persona schema."""

REFINE_REQUEST = (
    "Refine this draft persona. Answer with the complete persona as JSON in the same schema. "
    "Keep every quote exactly as written: never invent, edit or merge quotes. If the draft "
    "has no representative quote, choose one of its claims' quotes."
)
REPAIR_REQUEST = (
    "Your answer does not match the persona schema: {problems}. "
    "Send the complete corrected persona as JSON only."
)
_KEY_PATTERN = re.compile(r"sk-ant-[A-Za-z0-9_\-]+")
_T = TypeVar("_T")


@dataclass(frozen=True)
class ModelList:
    """Model ids, and whether they came from the API (``live``) or the built-in defaults."""

    models: list[str]
    live: bool
    reason: str = ""
    """Why the defaults are shown, when they are."""


@dataclass(frozen=True)
class TokenCount:
    """Input tokens: counted by the API (``exact``) or estimated at ~4 characters per token."""

    tokens: int
    exact: bool


@dataclass(frozen=True)
class Refinement:
    """Claude's improved persona, the tokens it cost and the model id that answered."""

    persona: Persona
    usage: BilledTokens
    model: str
    attempts: int


class CallMeter(Protocol):
    """Pays for calls: see :class:`persona.hybrid.pricing.Meter`."""

    def open(self, input_tokens: int, max_tokens: int) -> int:
        """Charge a call's worst case; the ``max_tokens`` it may use. May raise."""
        ...

    def close(self, usage: BilledTokens | None) -> None:
        """Settle the open call (``None``: its outcome is unknown)."""
        ...


def find_api_key(*, secret: str | None = None, typed: str | None = None) -> str | None:
    """The Anthropic key in force, or None: ``ANTHROPIC_API_KEY`` in the environment, else
    the dashboard's ``secret`` (``.streamlit/secrets.toml``), else the key ``typed`` in this
    session. Blank values count as none; the key is never stored."""
    for key in (os.environ.get(KEY_VARIABLE), secret, typed):
        if key and key.strip():
            return key.strip()
    return None


def resolve_api_key(api_key: str | None = None) -> str:
    """The key from the argument, else :func:`find_api_key`'s; raises when there is none."""
    key = (api_key or "").strip() or find_api_key()
    if not key:
        raise FrontierAuthError(
            "No Anthropic API key. Paste it in the key field on the Hybrid page, or set the "
            f"ANTHROPIC_API_KEY environment variable (create a key at {KEYS_URL}). The hybrid "
            "step is optional: local generation works without it."
        )
    return key


def estimate_claude_tokens(*texts: str) -> int:
    """Claude's tokens for ``texts`` by Anthropic's rule of thumb (about four characters per
    token): the fallback when the token-counting endpoint cannot answer, and what prices are
    estimated with. Claude's tokenizer is not on this machine, so this is not the calibrated
    estimate for local models (:func:`persona.core.tokens.estimate_tokens`)."""
    return math.ceil(sum(len(t) for t in texts) / CHARS_PER_TOKEN)


def upper_bound_tokens(*texts: str) -> int:
    """Tokens a request can cost at most: one per UTF-8 byte, plus framing."""
    return sum(len(t.encode("utf-8")) for t in texts) + REQUEST_OVERHEAD_TOKENS


def _message_texts(messages: Iterable[Mapping[str, Any]]) -> list[str]:
    texts = []
    for message in messages:
        content = message.get("content", "")
        if isinstance(content, str):
            texts.append(content)
        else:
            texts.extend(
                b["text"] if b.get("type") == "text" else json.dumps(b, ensure_ascii=False)
                for b in content
            )
    return texts


def _llm_fields(model: BaseModel) -> dict[str, Any]:
    """The model's data without the fields Persona computes itself (never sent out)."""

    def dump(value: Any) -> Any:
        if isinstance(value, BaseModel):
            return _llm_fields(value)
        if isinstance(value, list):
            return [dump(v) for v in value]
        return value

    def local(extra: object) -> bool:
        return isinstance(extra, dict) and extra.get("llm") is False

    return {
        name: dump(getattr(model, name))
        for name, info in type(model).model_fields.items()
        if not local(info.json_schema_extra)
    }


def as_persona(persona: Persona | str | Mapping[str, Any]) -> Persona:
    """A :class:`Persona` from a Persona, a dict or a JSON string."""
    try:
        if isinstance(persona, Persona):
            return persona
        if isinstance(persona, str):
            return Persona.model_validate_json(persona)
        return Persona.model_validate(persona)
    except ValidationError as exc:
        raise InputError(f"The draft persona is not valid: {_problems(exc)}.") from None


def payload_of(persona: PersonaLike) -> dict[str, Any]:
    """What is sent for ``persona``: a Persona or JSON string without the fields Persona
    computes; a mapping is taken as an exact payload, already prepared (and redacted)."""
    if isinstance(persona, Mapping):
        return dict(persona)
    return _llm_fields(as_persona(persona))


def refine_messages(persona: PersonaLike) -> list[dict[str, Any]]:
    """The conversation :meth:`FrontierClient.refine` opens with."""
    payload = json.dumps(payload_of(persona), ensure_ascii=False, indent=1)
    return [{"role": "user", "content": f"{REFINE_REQUEST}\n\n<persona>\n{payload}\n</persona>"}]


def _problems(exc: ValidationError, limit: int = 8) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    parts = [f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}" for e in errors]
    more = f" (and {len(parts) - limit} more)" if len(parts) > limit else ""
    return "; ".join(parts[:limit]) + more


def _reply_text(message: Any) -> str:
    return "".join(b.text for b in message.content if getattr(b, "type", "") == "text")


def _stop_problem(stop_reason: str | None, model: str, allowed: int, max_tokens: int) -> str:
    if stop_reason == "refusal":
        return (
            f"Claude ({model}) declined to refine this persona. Your draft is kept; "
            "review its content or try another model."
        )
    if stop_reason in ("max_tokens", "model_context_window_exceeded"):
        if allowed < max_tokens:
            return (
                f"Claude's answer was cut off at {allowed} output tokens, all that the rest "
                "of your budget could pay for. Raise the budget cap and try again; your draft "
                "is kept."
            )
        return (
            f"Claude's answer was cut off at {allowed} output tokens. Try again, or pick "
            "another model; your draft is kept."
        )
    return ""


def _validate(text: str, restore: Callable[[Any], Any] | None) -> Persona:
    """The persona in Claude's answer, after ``restore``; raises ValidationError."""
    if restore is None:
        return Persona.model_validate_json(text)
    try:
        data = json.loads(text)
    except ValueError:
        return Persona.model_validate_json(text)  # raises the ValidationError for bad JSON
    return Persona.model_validate(restore(data))


def _safe_url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}".rstrip("/")


class FrontierClient:
    """A thread-safe Claude client for the hybrid refinement step."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx2.Client | None = None,
    ) -> None:
        self._key = resolve_api_key(api_key)
        self.custom_base_url = bool(base_url or os.environ.get("ANTHROPIC_BASE_URL"))
        self.timeout = timeout
        self.max_retries = max_retries
        self._client = anthropic.Anthropic(
            api_key=self._key,
            base_url=base_url,
            timeout=anthropic.Timeout(timeout, connect=min(timeout, 10.0)),
            max_retries=max_retries,
            http_client=http_client,
        )
        self.base_url = _safe_url(str(self._client.base_url))

    def __repr__(self) -> str:
        return f"FrontierClient(base_url={self.base_url!r}, key=<hidden>)"

    def list_models(self) -> ModelList:
        """Active model ids from the API, newest first; the defaults when it cannot be reached."""

        def fetch() -> list[str]:
            return [
                m.id
                for m in self._client.models.list(limit=100)
                if getattr(m, "lifecycle", "active") == "active"
            ]

        try:
            models = self._call(fetch)
        except FrontierAuthError:
            raise
        except FrontierError as exc:
            return ModelList(list(DEFAULT_MODELS), live=False, reason=str(exc))
        if not models:
            return ModelList(list(DEFAULT_MODELS), live=False, reason="The API listed no models.")
        return ModelList(models, live=True)

    def count_tokens(
        self, model: str, system: str, messages: Iterable[Mapping[str, Any]]
    ) -> TokenCount:
        """Input tokens of a request: from the API, else estimated (``exact=False``)."""
        return self._count(model, system, list(messages), {})

    def _count(
        self,
        model: str,
        system: str,
        messages: Sequence[Mapping[str, Any]],
        output_config: dict[str, Any],
    ) -> TokenCount:
        extra: dict[str, Any] = {"output_config": output_config} if output_config else {}
        try:
            result = self._call(
                lambda: self._client.messages.count_tokens(
                    model=model,
                    system=system,
                    messages=cast("list[MessageParam]", list(messages)),
                    **extra,
                ),
                model,
            )
        except FrontierAuthError:
            raise
        except FrontierError:
            schema = json.dumps(output_config) if output_config else ""
            return TokenCount(
                estimate_claude_tokens(system, schema, *_message_texts(messages)), False
            )
        return TokenCount(result.input_tokens, exact=True)

    def refine(
        self,
        persona: PersonaLike,
        *,
        system: str,
        model: str,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        meter: CallMeter | None = None,
        restore: Callable[[Any], Any] | None = None,
    ) -> Refinement:
        """Claude's improved version of ``persona``, validated against the persona schema.

        With a ``meter``, each call's input is counted first and the meter charges its
        worst case and caps its ``max_tokens`` (a budget). ``restore`` is applied to the
        answer's JSON before it is validated (pseudonyms put back). An answer that does not
        validate is sent back once with the errors; a second failure, a refusal or a cut-off
        answer raises :class:`UnusableAnswer` (with the tokens billed). API failures raise the
        other :class:`FrontierError` kinds.
        """
        messages = refine_messages(persona)
        usage, problems = BilledTokens(), ""
        for attempt in range(1, REPAIR_ATTEMPTS + 2):
            reply, allowed = self._create(model, system, messages, max_tokens, meter)
            usage += BilledTokens(reply.usage.input_tokens, reply.usage.output_tokens)
            stopped = _stop_problem(reply.stop_reason, model, allowed, max_tokens)
            if stopped:
                raise UnusableAnswer(stopped, usage.input_tokens, usage.output_tokens)
            text = _reply_text(reply)
            try:
                refined = _validate(text, restore)
            except ValidationError as exc:
                problems = _problems(exc)
                messages = [
                    *messages,
                    {"role": "assistant", "content": text or "(empty answer)"},
                    {"role": "user", "content": REPAIR_REQUEST.format(problems=problems)},
                ]
                continue
            return Refinement(refined, usage, reply.model, attempt)
        raise UnusableAnswer(
            f"Claude's answer did not match the persona schema after {REPAIR_ATTEMPTS + 1} "
            f"attempts ({self._redact(problems)}). Your draft is kept: try again or pick "
            "another model.",
            usage.input_tokens,
            usage.output_tokens,
        )

    def _create(
        self,
        model: str,
        system: str,
        messages: list[dict[str, Any]],
        max_tokens: int,
        meter: CallMeter | None,
    ) -> tuple[Any, int]:
        """One Messages call, paid through ``meter``: the reply and the max_tokens it had."""
        allowed = max_tokens
        if meter is not None:
            counted = self._count(model, system, messages, {"format": OUTPUT_FORMAT})
            tokens = counted.tokens
            if not counted.exact:
                schema = json.dumps(OUTPUT_FORMAT)
                tokens = upper_bound_tokens(system, schema, *_message_texts(messages))
            allowed = meter.open(tokens, max_tokens)
        billed: BilledTokens | None = None
        try:
            reply = self._client.messages.create(
                model=model,
                system=system,
                max_tokens=allowed,
                messages=cast("list[MessageParam]", messages),
                output_config=cast(OutputConfigParam, {"format": OUTPUT_FORMAT}),
            )
            billed = BilledTokens(reply.usage.input_tokens, reply.usage.output_tokens)
            return reply, allowed
        except anthropic.APIStatusError as exc:
            billed = BilledTokens()  # the API refused the call: nothing was billed
            raise self._translate(exc, model) from None
        except anthropic.AnthropicError as exc:
            raise self._translate(exc, model) from None  # unknown outcome: the charge stands
        finally:
            if meter is not None:
                meter.close(billed)

    def _call(self, request: Callable[[], _T], model: str = "") -> _T:
        try:
            return request()
        except anthropic.AnthropicError as exc:
            raise self._translate(exc, model) from None

    def _redact(self, text: str) -> str:
        return _KEY_PATTERN.sub("sk-ant-…", text.replace(self._key, "<api key>"))

    def _detail(self, exc: anthropic.APIStatusError) -> str:
        parts = [self._redact(exc.api_message)] if exc.api_message else []
        if exc.request_id:
            parts.append(f"request id {exc.request_id}")
        return f": {', '.join(parts)}" if parts else ""

    def _translate(self, exc: anthropic.AnthropicError, model: str) -> FrontierError:
        retried = f" after {self.max_retries} retries" if self.max_retries else ""
        if isinstance(exc, anthropic.APITimeoutError):
            return FrontierError(
                f"Claude did not answer within {self.timeout:g} s{retried}. Try again later, "
                "or refine fewer personas at once; your drafts are kept."
            )
        if isinstance(exc, anthropic.APIConnectionError):
            where = (
                f"the gateway at {self.base_url} (set by ANTHROPIC_BASE_URL): "
                "check that it is running and the address is right"
                if self.custom_base_url
                else f"{self.base_url}: check your internet connection"
            )
            return FrontierError(f"Cannot reach Claude at {where}. Your drafts are kept.")
        if not isinstance(exc, anthropic.APIStatusError):
            return FrontierError(f"The Claude request failed: {self._redact(str(exc))}")
        detail = self._detail(exc)
        status = exc.status_code
        if isinstance(exc, anthropic.AuthenticationError | anthropic.PermissionDeniedError):
            return FrontierAuthError(
                f"Claude rejected the API key (HTTP {status}{detail}). Check it at {KEYS_URL} "
                "and paste it again on the Hybrid page or in ANTHROPIC_API_KEY."
            )
        if isinstance(exc, anthropic.RateLimitError):
            return FrontierRateLimited(
                f"Claude is rate limiting this API key (HTTP 429){retried}. Wait a minute and "
                "try again, or refine fewer personas at once."
            )
        if isinstance(exc, anthropic.OverloadedError):
            return FrontierRateLimited(
                f"Claude is overloaded (HTTP 529){retried}. Try again in a few minutes or pick "
                "another model."
            )
        if isinstance(exc, anthropic.NotFoundError):
            what = f"the model '{model}'" if model else "this endpoint"
            return FrontierError(
                f"Claude does not know {what} (HTTP 404{detail}). Load the models from Anthropic "
                "on the Hybrid page (or pass another --frontier-model) and pick one of them."
            )
        if isinstance(exc, anthropic.BadRequestError):
            return FrontierError(f"Claude rejected the request (HTTP 400{detail}).")
        if isinstance(exc, anthropic.PaymentRequiredError):
            return FrontierError(
                f"Your Anthropic account cannot pay for this call (HTTP 402{detail}). "
                "Add credits at https://console.anthropic.com/settings/billing."
            )
        if status >= 500:
            return FrontierError(
                f"Claude had a server error (HTTP {status}{detail}){retried}. Try again later; "
                "your drafts are kept."
            )
        return FrontierError(f"Claude answered with an error (HTTP {status}{detail}).")
