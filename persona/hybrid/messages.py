"""One Messages request and its answer, with no network: the request's text and local token
estimates, reading and validating the answer, and which failures are worth another attempt.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import anthropic
from pydantic import ValidationError

from persona.hybrid.answer import RefinedPersona
from persona.hybrid.caching import CACHE_CONTROL
from persona.hybrid.changes import PersonaChanges, apply_changes

CHARS_PER_TOKEN = 4
REQUEST_OVERHEAD_TOKENS = 64
"""Tokens a request costs beyond its text (roles, message framing), for the upper bound."""
REPAIR_ATTEMPTS = 1
"""How many times an answer that does not match the schema is sent back to be fixed."""
REPAIR_REQUEST = (
    "Your answer does not match the persona schema: {problems}. "
    "Send the corrected answer in the same schema (only what changes), as JSON only."
)
RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
"""Statuses worth another attempt (the SDK's own list); others are answered at once."""
MAX_RETRY_WAIT = 60.0
"""The longest a ``retry-after`` is honoured, in seconds; longer waits fail instead."""


@dataclass(frozen=True)
class Request:
    """One Messages request as it is sent (and counted)."""

    model: str
    system: str
    messages: list[dict[str, Any]]
    output_format: dict[str, Any] = field(repr=False)
    cached: bool = False
    """Whether the system text ends with a cache breakpoint (see :mod:`.caching`)."""

    def system_param(self) -> str | list[dict[str, Any]]:
        """``system`` as sent: one text block marked for the cache when ``cached``."""
        if not self.cached:
            return self.system
        return [{"type": "text", "text": self.system, "cache_control": dict(CACHE_CONTROL)}]

    def cacheable_share(self) -> float:
        """The share of the request's estimated tokens before its cache breakpoint (the
        schema and the system text; Anthropic renders the schema first), 0 when uncached."""
        if not self.cached:
            return 0.0
        prefix = estimate_claude_tokens(self.system, json.dumps(self.output_format))
        return prefix / max(estimate_claude_tokens(*self.texts()), 1)

    def then(self, *messages: dict[str, Any]) -> Request:
        """This request with ``messages`` added to the conversation."""
        return replace(self, messages=[*self.messages, *messages])

    def texts(self) -> list[str]:
        """Everything the request sends as text, for local estimates."""
        return [self.system, json.dumps(self.output_format), *message_texts(self.messages)]


def estimate_claude_tokens(*texts: str) -> int:
    """Claude's tokens for ``texts`` by Anthropic's rule of thumb (about four characters per
    token): the fallback when the token-counting endpoint cannot answer, and what prices are
    estimated with. Claude's tokenizer is not on this machine, so this is not the calibrated
    estimate for local models (:func:`persona.core.tokens.estimate_tokens`)."""
    return math.ceil(sum(len(t) for t in texts) / CHARS_PER_TOKEN)


def upper_bound_tokens(*texts: str) -> int:
    """Tokens a request can cost at most: one per UTF-8 byte, plus framing."""
    return sum(len(t.encode("utf-8")) for t in texts) + REQUEST_OVERHEAD_TOKENS


def message_texts(messages: Iterable[Mapping[str, Any]]) -> list[str]:
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


def problems_of(exc: ValidationError, limit: int = 8) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    parts = [f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}" for e in errors]
    more = f" (and {len(parts) - limit} more)" if len(parts) > limit else ""
    return "; ".join(parts[:limit]) + more


def reply_text(message: Any) -> str:
    return "".join(b.text for b in message.content if getattr(b, "type", "") == "text")


def stop_problem(stop_reason: str | None, model: str, allowed: int, max_tokens: int) -> str:
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


def validate(
    text: str, draft: Mapping[str, Any] | None, restore: Callable[[Any], Any] | None
) -> tuple[RefinedPersona, list[str]]:
    """The refined persona that the changes in Claude's answer ``text`` make to ``draft``
    (see :mod:`.changes`), after ``restore``, and the kept claims ignored; raises
    ValidationError."""
    try:
        data = json.loads(text)
    except ValueError:
        PersonaChanges.model_validate_json(text)  # raises the ValidationError for bad JSON
        raise
    return rebuild(data, draft, restore)


def rebuild(
    data: Any, draft: Mapping[str, Any] | None, restore: Callable[[Any], Any] | None
) -> tuple[RefinedPersona, list[str]]:
    """The refined persona that the changes ``data`` (parsed JSON) make to ``draft``, after
    ``restore``, and the kept claims ignored; raises ValidationError."""
    rebuilt = apply_changes(draft, PersonaChanges.model_validate(data))
    persona = restore(rebuilt.persona) if restore is not None else rebuilt.persona
    return RefinedPersona.model_validate(persona), rebuilt.ignored


def retry_wait(exc: anthropic.AnthropicError, attempt: int) -> float:
    """Seconds to wait before the next attempt: the server's ``retry-after`` (or
    ``retry-after-ms``) when it sent one, else 0.5 s doubling per attempt, at most 8 s."""
    response = getattr(exc, "response", None)
    headers = response.headers if response is not None else {}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return max(float(value) * scale, 0.0)
            except ValueError:
                continue
    return min(0.5 * 2.0**attempt, 8.0)


def retryable(exc: anthropic.AnthropicError) -> bool:
    if isinstance(exc, anthropic.APIStatusError):
        return exc.status_code in RETRYABLE_STATUS
    return isinstance(exc, anthropic.APIConnectionError)  # timeouts too
