"""Fit research data into the model's context: one prompt, or chunks for a map-reduce.

Ollama silently cuts prompts longer than ``num_ctx``, so every call gets a ``num_ctx``
sized for its prompt plus its answer, and a corpus too large for one prompt is split —
never trimmed. Passages too long for a chunk are split into parts, not dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from persona.core.documents import Passage
from persona.core.errors import InputError
from persona.core.tokens import estimate_tokens

SAFETY = 1.15
"""Token estimates are heuristics: size contexts this much larger than estimated."""
PERSONA_ANSWER_TOKENS = 900
"""Room for one persona with its evidence in the model's answer."""
FINDINGS_ANSWER_TOKENS = 1200
"""Room for one chunk's findings in the model's answer."""
MIN_CONTEXT = 2048
_ROUND = 256


@dataclass(frozen=True)
class Plan:
    """How a corpus is sent to the model; ``describe()`` tells the user before it runs."""

    mode: Literal["single", "map-reduce"]
    chunks: tuple[tuple[Passage, ...], ...]
    num_ctx: int
    """Context for each chunk's call (the only call in single mode)."""
    answer_tokens: int
    """Tokens reserved for the personas answer."""
    findings_tokens: int
    """Tokens reserved for one chunk's findings (map-reduce)."""
    corpus_tokens: int
    context_limit: int
    split_passages: int = 0
    """Passages too long for one chunk, sent in parts."""

    @property
    def calls(self) -> int:
        return len(self.chunks) + (1 if self.mode == "map-reduce" else 0)

    @property
    def passages(self) -> int:
        return len({(p.source, p.locator.split(" (part")[0]) for c in self.chunks for p in c})

    def describe(self) -> str:
        tokens = f"~{self.corpus_tokens:,} tokens"
        if self.mode == "single":
            return (
                f"Your data ({tokens}) fits in one prompt: 1 model call with a "
                f"{self.num_ctx:,}-token context. Nothing is left out."
            )
        parts = (
            f" {self.split_passages} very long passage(s) are sent in parts."
            if self.split_passages
            else ""
        )
        return (
            f"Your data ({tokens}) is larger than one prompt of this model "
            f"({self.context_limit:,} tokens): {len(self.chunks)} chunks, {self.calls} model calls "
            "(findings from each chunk, then personas from the findings; more calls if the "
            f"findings need merging). Nothing is left out.{parts}"
        )


def plan(
    passages: Sequence[Passage],
    *,
    count: int,
    context_limit: int,
    prompt_overhead: int,
    findings_overhead: int | None = None,
) -> Plan:
    """Plan the calls for ``passages``.

    ``context_limit`` is the largest ``num_ctx`` allowed (the model's maximum, capped by
    settings); ``prompt_overhead`` the tokens of instructions around the data.
    """
    if not passages:
        raise InputError("There is no research text to work from: upload at least one file.")
    if context_limit < MIN_CONTEXT:
        raise InputError(f"The model's context ({context_limit} tokens) is too small to use.")
    corpus = sum(estimate_tokens(p.text) + _line_cost(p) for p in passages)
    answer = min(count * PERSONA_ANSWER_TOKENS + 200, context_limit // 2)
    single_need = _sized(corpus + prompt_overhead, answer)
    if single_need <= context_limit:
        return Plan(
            "single",
            (tuple(passages),),
            max(MIN_CONTEXT, single_need),
            answer,
            0,
            corpus,
            context_limit,
        )
    findings = min(FINDINGS_ANSWER_TOKENS, context_limit // 4)
    overhead = findings_overhead if findings_overhead is not None else prompt_overhead
    capacity = int((context_limit - findings - _ROUND) / SAFETY) - overhead
    if capacity < 200:
        raise InputError(
            f"The model's context ({context_limit:,} tokens) leaves no room for data: "
            "pick a model with a longer context."
        )
    chunks, split = _chunk(passages, capacity)
    num_ctx = num_ctx_for(capacity + overhead, findings, context_limit)
    return Plan("map-reduce", chunks, num_ctx, answer, findings, corpus, context_limit, split)


def num_ctx_for(prompt_tokens: int, answer_tokens: int, context_limit: int) -> int:
    """The context to request for one prompt: room for prompt and answer, within the limit."""
    return min(context_limit, max(MIN_CONTEXT, _sized(prompt_tokens, answer_tokens)))


def _sized(prompt_tokens: int, answer_tokens: int) -> int:
    need = int(prompt_tokens * SAFETY) + answer_tokens
    return -(-need // _ROUND) * _ROUND


def _line_cost(passage: Passage) -> int:
    """Tokens of the locator prefix each passage carries in a prompt."""
    return 1 + len(passage.locator) // 4


def _chunk(
    passages: Sequence[Passage], capacity: int
) -> tuple[tuple[tuple[Passage, ...], ...], int]:
    chunks: list[tuple[Passage, ...]] = []
    current: list[Passage] = []
    used = 0
    split = 0
    for passage in passages:
        cost = estimate_tokens(passage.text) + _line_cost(passage)
        pieces = [passage]
        if cost > capacity:
            pieces = _split(passage, capacity)
            split += 1
        for piece in pieces:
            piece_cost = estimate_tokens(piece.text) + _line_cost(piece)
            if current and used + piece_cost > capacity:
                chunks.append(tuple(current))
                current, used = [], 0
            current.append(piece)
            used += piece_cost
    if current:
        chunks.append(tuple(current))
    return tuple(chunks), split


def _split(passage: Passage, capacity: int) -> list[Passage]:
    """Cut an over-long passage at word boundaries into parts that each fit a chunk."""
    words = passage.text.split(" ")
    parts: list[list[str]] = [[]]
    used = 0
    budget = max(50, capacity - 8)
    for word in words:
        cost = estimate_tokens(word + " ")
        if parts[-1] and used + cost > budget:
            parts.append([])
            used = 0
        parts[-1].append(word)
        used += cost
    total = len(parts)
    return [
        Passage(passage.source, f"{passage.locator} (part {i} of {total})", " ".join(words))
        for i, words in enumerate(parts, start=1)
    ]
