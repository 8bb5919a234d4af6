"""Anthropic's prompt cache for a Send: one shared prefix, paid once, when that costs less.

Each draft can go in a request of its own, with only the passages it cites (the *separate*
plan), or every request of the Send can start with one identical prefix, marked with
``cache_control``: the instructions, the output schema and all the passages the selected
drafts cite, with each request adding only its draft (the *shared* plan). Anthropic bills the
first request's prefix as a cache write (1.25× the input price) and every later one as a
cache read (0.1×), but only when the prefix is at least the model's minimum
(:func:`minimum_cacheable`); below it nothing is cached and sharing would only send more.

:func:`worth_sharing` picks the plan per model and Send from local estimates: sharing only
with two requests or more, a prefix safely above the model's minimum, and a lower estimated
input bill than the separate plan. The requests of a shared Send go one after another, so
each later request finds the prefix the first one wrote (a request sent while the first is
still running would not).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from persona.hybrid.compact import compact_json
from persona.hybrid.pricing import CACHE_READ, CACHE_WRITE, normalize_model_id

CACHE_CONTROL: dict[str, str] = {"type": "ephemeral"}
"""The breakpoint marking the end of the shared prefix: Anthropic's 5-minute cache."""

MINIMUM_CACHEABLE: dict[str, int] = {
    "claude-opus-4-6": 4096,
    "claude-opus-4-5": 4096,
    "claude-haiku-4-5": 4096,
    "claude-sonnet-4-6": 2048,
    "claude-haiku-3-5": 2048,
    "claude-sonnet-4-5": 1024,
    "claude-sonnet-4-0": 1024,
    "claude-sonnet-4": 1024,
    "claude-opus-4-1": 1024,
    "claude-opus-4-0": 1024,
    "claude-opus-4": 1024,
}
"""The fewest tokens a prefix needs to be cached, by model (Anthropic's docs, 2026-11)."""
UNKNOWN_MINIMUM = 4096
"""For a model not in :data:`MINIMUM_CACHEABLE`: the largest minimum, so that a prefix is
never counted on to be cached when it may not be."""
ESTIMATE_MARGIN = 1.15
"""The prefix's local estimate (about four characters per token) must be this far above the
model's minimum: a prefix the API counts below it runs uncached, at full price."""

SHARED_PASSAGES = (
    "The passages of this study that the drafts below cite, by ID. Cite only these IDs; a "
    "request lists the IDs of its own draft's passages."
)


def minimum_cacheable(model: str) -> int:
    """The fewest tokens a prefix needs to be cached on ``model``."""
    return MINIMUM_CACHEABLE.get(normalize_model_id(model), UNKNOWN_MINIMUM)


@dataclass(frozen=True)
class Shared:
    """The prefix every request of a shared Send starts with: all the passages its drafts
    cite (redacted), after the instructions; marked for Anthropic's cache."""

    passages: tuple[Mapping[str, str], ...]

    @property
    def ids(self) -> list[str]:
        """The IDs any answer of the Send may cite."""
        return [str(p["id"]) for p in self.passages]

    def system(self, instructions: str) -> str:
        """The system text: ``instructions``, then the passages."""
        listed = compact_json(list(self.passages))
        return f"{instructions}\n\n{SHARED_PASSAGES}\n<passages>\n{listed}\n</passages>"

    @staticmethod
    def message_data(data: Mapping[str, Any]) -> dict[str, Any]:
        """A payload as its request carries it: its passages by ID only (their text is in
        the shared prefix)."""
        return {**data, "passages": [str(p["id"]) for p in data.get("passages", [])]}


def shared_passages(payloads: Sequence[Mapping[str, Any]]) -> Shared:
    """Every passage the (redacted) ``payloads`` carry, each once, in the order first given."""
    seen: dict[str, Mapping[str, str]] = {}
    for data in payloads:
        for passage in data.get("passages", []):
            seen.setdefault(str(passage["id"]), passage)
    return Shared(tuple(seen.values()))


def shared_input(prefix: int, rests: Sequence[int]) -> float:
    """A shared Send's input in input-price tokens: the prefix written once, read by every
    later request, plus each request's own part."""
    if not rests:
        return 0.0
    return prefix * (CACHE_WRITE + CACHE_READ * (len(rests) - 1)) + sum(rests)


def worth_sharing(model: str, prefix: int, rests: Sequence[int], separate: Sequence[int]) -> bool:
    """Whether a shared Send (a ``prefix`` of estimated tokens, then ``rests``) is cached on
    ``model`` and costs less than sending the requests ``separate``ly."""
    return (
        len(rests) >= 2
        and prefix >= minimum_cacheable(model) * ESTIMATE_MARGIN
        and shared_input(prefix, rests) < sum(separate)
    )
