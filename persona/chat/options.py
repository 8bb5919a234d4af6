"""Options for one model call of a chat: a context sized for the messages and the answer."""

from __future__ import annotations

from collections.abc import Sequence

from persona.core.tokens import estimate_tokens
from persona.engines.base import ChatMessage, ChatOptions, Engine
from persona.generation.planner import FALLBACK_CONTEXT, num_ctx_for


def call_options(
    engine: Engine,
    model: str,
    messages: Sequence[ChatMessage],
    answer_tokens: int,
    temperature: float,
) -> ChatOptions:
    """Options for one call outside a generation plan (a chat answer, a translation): a
    context for ``messages`` and an answer of ``answer_tokens``, within the model's own."""
    sent = sum(estimate_tokens(m["content"]) for m in messages)
    limit = engine.describe(model).context_length or FALLBACK_CONTEXT
    return ChatOptions(
        temperature=temperature,
        max_tokens=answer_tokens,
        num_ctx=num_ctx_for(sent, answer_tokens, limit),
    )
