"""The ways a Send can go, their local estimates, and the pick.

*separate*: each draft in a request of its own with its passages. *cached*: every request
starts with one shared prefix marked for Anthropic's prompt cache (:mod:`.caching`).
*batched*: one request carries every draft after the instructions, the schema and the union
of their passages, each sent once (:mod:`.batch`). :meth:`Estimates.pick` takes the plan
expected to cost least, per model and Send, from local token estimates; each plan's worst
case (every call at its maximum output, with a repair; for a batch, also each draft sent
again on its own) bounds what the preview promises.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from persona.generation.planner import REFERENCED_PERSONA_TOKENS
from persona.hybrid.batch import (
    BATCH_OUTPUT_TOKENS,
    BatchItem,
    batch_max_tokens,
    batch_request,
    draft_key,
)
from persona.hybrid.caching import Shared, minimum_cacheable, worth_sharing
from persona.hybrid.cloud import DEFAULT_MAX_TOKENS
from persona.hybrid.messages import REPAIR_ATTEMPTS, Request, estimate_claude_tokens
from persona.hybrid.payload import SYSTEM, Mode, build_request
from persona.hybrid.pricing import Cost, PriceTable

SendPlan = Literal["separate", "cached", "batched"]

OUTPUT_FACTOR = 1.3
"""A refined persona is usually a little longer than the draft (changes are shorter: the
estimate stays on the safe side)."""
MAX_OUTPUT_TOKENS = DEFAULT_MAX_TOKENS
"""The most output tokens one call for one draft may use (the budget may allow fewer)."""
CALLS_PER_PERSONA = REPAIR_ATTEMPTS + 1


def output_tokens(data: Mapping[str, Any]) -> int:
    draft = data.get("persona")
    if not draft:
        return REFERENCED_PERSONA_TOKENS
    expected = int(estimate_claude_tokens(json.dumps(draft, ensure_ascii=False)) * OUTPUT_FACTOR)
    return min(max(expected, REFERENCED_PERSONA_TOKENS), MAX_OUTPUT_TOKENS)


def _tokens(request: Request) -> int:
    return estimate_claude_tokens(*request.texts())


@dataclass(frozen=True)
class PricedRequest:
    """One request of a Send under its plan, with its input tokens and what it costs (at the
    estimate and at worst)."""

    request: Request
    input_tokens: int
    cost: Cost
    worst: Cost
    batched: bool = False
    """Whether the request carries every draft of the Send."""

    @property
    def text(self) -> str:
        """The exact request text: system prompt and message."""
        return f"System:\n{self.request.system}\n\nUser:\n{self.request.messages[0]['content']}"


class Estimates:
    """Each plan's requests and local estimates for a Send (see :func:`prepare`)."""

    def __init__(
        self,
        model: str,
        prices: PriceTable,
        datas: Sequence[Mapping[str, Any]],
        modes: Sequence[Mode],
        outputs: Sequence[int],
        shared: Shared,
    ) -> None:
        self.model, self.prices, self.outputs, self.shared = model, prices, outputs, shared
        self.separate = [
            build_request(data, mode=mode, model=model)
            for data, mode in zip(datas, modes, strict=True)
        ]
        self.together = [
            build_request(data, mode=mode, model=model, shared=shared)
            for data, mode in zip(datas, modes, strict=True)
        ]
        self.datas, self.modes = datas, modes
        self.prefix = estimate_claude_tokens(
            shared.system(SYSTEM), json.dumps(self.together[0].output_format)
        )

    def batch(self, sent: Sequence[int]) -> Request:
        """The one request of the batched plan."""
        items = [BatchItem(draft_key(n), self.datas[i], self.modes[i]) for n, i in enumerate(sent)]
        return batch_request(items, self.shared, model=self.model)

    def pick(self, sent: Sequence[int]) -> SendPlan:
        """The plan expected to cost least: separate; cached when the prefix is cached and
        cheaper (:func:`~.caching.worth_sharing`); batched for two drafts or more whose
        answers fit one request's output."""
        costs: dict[SendPlan, float] = {"separate": self.usd("separate", sent)}
        if worth_sharing(
            self.model,
            self.prefix,
            [_tokens(self.together[i]) - self.prefix for i in sent],
            [_tokens(self.separate[i]) for i in sent],
        ):
            costs["cached"] = self.usd("cached", sent)
        if len(sent) >= 2 and sum(self.outputs[i] for i in sent) <= BATCH_OUTPUT_TOKENS:
            costs["batched"] = self.usd("batched", sent)
        return min(costs, key=lambda plan: costs[plan])

    def usd(self, plan: SendPlan, sent: Sequence[int]) -> float:
        return sum(self.item(plan, i, sent).cost.usd for i in sent)

    def item(self, plan: SendPlan, index: int, sent: Sequence[int]) -> PricedRequest:
        """Draft ``index`` sent under ``plan`` with the drafts ``sent``."""
        if plan == "batched":
            return self._batched(index, sent)
        request = self.together[index] if plan == "cached" else self.separate[index]
        cacheable = request.cached and self.prefix >= minimum_cacheable(self.model)
        cached = self.prefix if cacheable else 0
        tokens, output = _tokens(request), self.outputs[index]
        worst_input = tokens + REPAIR_ATTEMPTS * (tokens + MAX_OUTPUT_TOKENS)
        written = CALLS_PER_PERSONA * cached  # at worst every call writes the prefix again
        first = bool(sent) and index == sent[0]
        return PricedRequest(
            request,
            tokens,
            self.prices.cost(
                self.model,
                tokens - cached,
                output,
                cache_write=cached if first else 0,
                cache_read=cached if not first else 0,
            ),
            self.prices.cost(
                self.model,
                worst_input - written,
                CALLS_PER_PERSONA * MAX_OUTPUT_TOKENS,
                cache_write=written,
            ),
        )

    def _batched(self, index: int, sent: Sequence[int]) -> PricedRequest:
        """The batch's share for draft ``index`` (by expected output); at worst the batch
        and its repair at their maximum output, then the draft sent on its own."""
        request = self.batch(sent)
        tokens = _tokens(request)
        outputs = [self.outputs[i] for i in sent]
        share = self.outputs[index] / sum(outputs)
        most = batch_max_tokens(len(sent))
        worst_input = tokens + REPAIR_ATTEMPTS * (tokens + most)
        alone = self.item("separate", index, sent).worst
        return PricedRequest(
            request,
            round(tokens * share),
            self.prices.cost(self.model, round(tokens * share), self.outputs[index]),
            self.prices.cost(
                self.model,
                round(worst_input * share) + alone.input_tokens,
                round(CALLS_PER_PERSONA * most * share) + alone.output_tokens,
            ),
            batched=True,
        )
