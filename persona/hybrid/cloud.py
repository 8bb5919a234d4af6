"""The Claude adapter for the optional hybrid step: refine a local draft persona by reference.

Built on the ``anthropic`` SDK with its retries off for Messages calls: 408/409/429/5xx/529
are retried here, honouring ``retry-after``, so that each attempt is paid through the
budget's meter. Every SDK error becomes a :class:`~persona.core.errors.FrontierError` whose
message says what to do next and never contains the API key (:mod:`.frontier_errors`; the
key itself: :mod:`.keys`). Creating a client sends nothing: each request is made by a method
the caller chose to call.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast
from urllib.parse import urlsplit

import anthropic
import httpx2
from anthropic.types import MessageParam, OutputConfigParam
from pydantic import ValidationError

from persona.core.errors import FrontierAuthError, FrontierError, UnusableAnswer
from persona.hybrid.answer import RefinedPersona
from persona.hybrid.caching import Shared
from persona.hybrid.frontier_errors import frontier_error
from persona.hybrid.keys import hide_key, resolve_api_key
from persona.hybrid.messages import (
    MAX_RETRY_WAIT,
    REPAIR_ATTEMPTS,
    REPAIR_REQUEST,
    Request,
    estimate_claude_tokens,
    message_texts,
    problems_of,
    reply_text,
    retry_wait,
    retryable,
    stop_problem,
    upper_bound_tokens,
    validate,
)
from persona.hybrid.payload import SYSTEM, Mode, build_request
from persona.hybrid.pricing import BilledTokens

DEFAULT_MODELS: tuple[str, ...] = ("claude-sonnet-4-6", "claude-opus-4-6", "claude-haiku-4-5")
"""Offered until the user asks for the live list (or when it cannot be fetched)."""
DEFAULT_MODELS_AS_OF = "2026-11-01"
"""When :data:`DEFAULT_MODELS` were checked against Anthropic's model list."""
DEFAULT_TIMEOUT = 120.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_TOKENS = 4096
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
    """Claude's answer (by reference, pseudonyms restored), the tokens it cost and the model
    id that answered."""

    answer: RefinedPersona
    usage: BilledTokens
    model: str
    attempts: int
    ignored: list[str] = field(default_factory=list)
    """Claims the answer kept that the draft does not have (see :mod:`.changes`)."""


class CallMeter(Protocol):
    """Pays for calls: see :class:`persona.hybrid.pricing.Meter`."""

    def require(self, input_tokens: int, max_tokens: int, cacheable: int = 0) -> int:
        """Raise unless the budget can pay for such a call; charges nothing."""
        ...

    def open(self, input_tokens: int, max_tokens: int, cacheable: int = 0) -> int:
        """Charge a call's worst case (``cacheable`` tokens as cache writes); the
        ``max_tokens`` it may use. May raise."""
        ...

    def close(self, usage: BilledTokens | None) -> None:
        """Settle the open call (``None``: its outcome is unknown)."""
        ...


def billed_tokens(usage: Any) -> BilledTokens:
    """The tokens a response's ``usage`` bills, cache writes and reads apart."""
    return BilledTokens(
        usage.input_tokens,
        usage.output_tokens,
        getattr(usage, "cache_creation_input_tokens", None) or 0,
        getattr(usage, "cache_read_input_tokens", None) or 0,
    )


def _safe_url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}".rstrip("/")


class FrontierClient:
    """A thread-safe Claude client for the hybrid refinement step.

    The SDK's own retries are off for Messages calls: each attempt is made here, paid
    through the caller's meter, after waiting as long as the server's ``retry-after`` asks.
    :attr:`requests_sent` counts every request that left the machine (token counts too).
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx2.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._key = resolve_api_key(api_key)
        self.custom_base_url = bool(base_url or os.environ.get("ANTHROPIC_BASE_URL"))
        self.timeout = timeout
        self.max_retries = max_retries
        self._sleep = sleep
        self._client = anthropic.Anthropic(
            api_key=self._key,
            base_url=base_url,
            timeout=anthropic.Timeout(timeout, connect=min(timeout, 10.0)),
            max_retries=0,
            http_client=http_client,
        )
        self._free = self._client.with_options(max_retries=max_retries)
        """For requests that cost nothing (model list, token counts): the SDK retries them."""
        self.base_url = _safe_url(str(self._client.base_url))
        self._sent = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"FrontierClient(base_url={self.base_url!r}, key=<hidden>)"

    @property
    def requests_sent(self) -> int:
        """Requests this client sent to Anthropic (each attempt and each token count)."""
        return self._sent

    def _sending(self) -> None:
        with self._lock:
            self._sent += 1

    def list_models(self) -> ModelList:
        """Active model ids from the API, newest first; the defaults when it cannot be reached."""

        def fetch() -> list[str]:
            self._sending()
            return [
                m.id
                for m in self._free.models.list(limit=100)
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
        self,
        model: str,
        system: str | list[dict[str, Any]],
        messages: Iterable[Mapping[str, Any]],
        output_format: Mapping[str, Any] | None = None,
    ) -> TokenCount:
        """Input tokens of a request: from the API, else estimated (``exact=False``). The
        API counts every token, cached or not: counting ignores ``cache_control``."""
        messages = list(messages)
        extra: dict[str, Any] = (
            {"output_config": {"format": output_format}} if output_format else {}
        )

        def count() -> Any:
            self._sending()
            return self._free.messages.count_tokens(
                model=model,
                system=cast(Any, system),
                messages=cast("list[MessageParam]", messages),
                **extra,
            )

        try:
            result = self._call(count, model)
        except FrontierAuthError:
            raise
        except FrontierError:
            schema = json.dumps(output_format) if output_format else ""
            texts = [system] if isinstance(system, str) else [b["text"] for b in system]
            return TokenCount(
                estimate_claude_tokens(*texts, schema, *message_texts(messages)), False
            )
        return TokenCount(result.input_tokens, exact=True)

    def refine(
        self,
        data: Mapping[str, Any],
        *,
        mode: Mode = "refine",
        system: str = SYSTEM,
        model: str,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        meter: CallMeter | None = None,
        restore: Callable[[Any], Any] | None = None,
        shared: Shared | None = None,
    ) -> Refinement:
        """Claude's version of the persona in ``data`` (a payload, see
        :mod:`persona.hybrid.payload`), by reference, validated against its schema. Claude
        answers only what changes (:mod:`persona.hybrid.changes`); the whole persona is
        rebuilt from the draft in ``data``, and kept claims the draft lacks are ignored and
        listed in :attr:`Refinement.ignored`.

        With a ``meter``, nothing is sent unless the budget can pay for the request by the
        local estimate; then its input is counted, and each attempt (each retry too) charges
        its worst case and has its ``max_tokens`` capped to what the budget can pay.
        ``restore`` is applied to the answer's JSON before it is validated (pseudonyms put
        back). An answer that does not validate is sent back once with the errors; a second
        failure, a refusal or a cut-off answer raises :class:`UnusableAnswer` (with the tokens
        billed). API failures raise the other :class:`FrontierError` kinds.

        With ``shared``, the request starts with the Send's shared prefix (``system`` and
        every passage of the Send, marked for Anthropic's cache) and carries the payload's
        passages by ID only (:mod:`persona.hybrid.caching`).
        """
        request = build_request(data, mode=mode, system=system, model=model, shared=shared)
        draft = data.get("persona") if isinstance(data.get("persona"), Mapping) else None
        usage, problems = BilledTokens(), ""
        for attempt in range(1, REPAIR_ATTEMPTS + 2):
            reply, allowed = self.send(request, max_tokens, meter)
            usage += billed_tokens(reply.usage)
            stopped = stop_problem(reply.stop_reason, model, allowed, max_tokens)
            if stopped:
                raise UnusableAnswer(stopped, usage.all_input, usage.output_tokens)
            text = reply_text(reply)
            try:
                refined, ignored = validate(text, draft, restore)
            except ValidationError as exc:
                problems = problems_of(exc)
                request = request.then(
                    {"role": "assistant", "content": text or "(empty answer)"},
                    {"role": "user", "content": REPAIR_REQUEST.format(problems=problems)},
                )
                continue
            return Refinement(refined, usage, reply.model, attempt, ignored)
        raise UnusableAnswer(
            f"Claude's answer did not match the persona schema after {REPAIR_ATTEMPTS + 1} "
            f"attempts ({hide_key(problems, self._key)}). Your draft is kept: try again or pick "
            "another model.",
            usage.all_input,
            usage.output_tokens,
        )

    def _input_tokens(self, request: Request, max_tokens: int, meter: CallMeter) -> tuple[int, int]:
        """The request's input tokens to charge, and how many of them are before its cache
        breakpoint (charged as cache writes at worst): nothing leaves the machine unless the
        local estimate fits the budget; then the API's count, else an upper bound."""
        texts = request.texts()
        share = request.cacheable_share()
        estimated = estimate_claude_tokens(*texts)
        meter.require(estimated, max_tokens, cacheable=math.ceil(estimated * share))
        counted = self.count_tokens(
            request.model, request.system_param(), request.messages, request.output_format
        )
        tokens = counted.tokens if counted.exact else upper_bound_tokens(*texts)
        return tokens, math.ceil(tokens * share)

    def send(self, request: Request, max_tokens: int, meter: CallMeter | None) -> tuple[Any, int]:
        """One Messages call, retried here on transient failures, each attempt paid through
        ``meter``: the reply and the max_tokens it had."""
        tokens = self._input_tokens(request, max_tokens, meter) if meter is not None else (0, 0)
        for attempt in range(self.max_retries + 1):
            try:
                return self._attempt(request, max_tokens, meter, tokens)
            except anthropic.AnthropicError as exc:
                wait = retry_wait(exc, attempt)
                if attempt == self.max_retries or not retryable(exc) or wait > MAX_RETRY_WAIT:
                    raise self._error(exc, request.model, attempt) from None
            self._sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _attempt(
        self,
        request: Request,
        max_tokens: int,
        meter: CallMeter | None,
        tokens: tuple[int, int],
    ) -> tuple[Any, int]:
        input_tokens, cacheable = tokens
        allowed = (
            meter.open(input_tokens, max_tokens, cacheable=cacheable)
            if meter is not None
            else max_tokens
        )
        billed: BilledTokens | None = None
        try:
            self._sending()
            reply = self._client.messages.create(
                model=request.model,
                system=cast(Any, request.system_param()),
                max_tokens=allowed,
                messages=cast("list[MessageParam]", request.messages),
                output_config=cast(OutputConfigParam, {"format": request.output_format}),
            )
            billed = billed_tokens(reply.usage)
            return reply, allowed
        except anthropic.APIStatusError:
            billed = BilledTokens()  # the API refused the call: nothing was billed
            raise
        finally:  # an unknown outcome (a timeout, Ctrl-C) keeps the worst-case charge
            if meter is not None:
                meter.close(billed)

    def _call(self, request: Callable[[], _T], model: str = "") -> _T:
        try:
            return request()
        except anthropic.AnthropicError as exc:
            raise self._error(exc, model, self.max_retries) from None

    def _error(self, exc: anthropic.AnthropicError, model: str, retries: int) -> FrontierError:
        return frontier_error(
            exc,
            model,
            retries,
            key=self._key,
            timeout=self.timeout,
            base_url=self.base_url,
            custom_base_url=self.custom_base_url,
        )
