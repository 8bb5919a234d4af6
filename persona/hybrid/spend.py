"""What the Hybrid step spent, as History keeps it: every Send adds to the run's total.

:func:`with_send` turns one Send's meters into the ``usage["frontier"]`` entry and adds it
to what earlier Sends of the same run spent; :func:`frontier_spend` reads it back for the
pages, the CLI and History. Requests are counted as they left the machine, so a Send the
budget refused says truthfully that nothing was sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from persona.core.records import Run
from persona.hybrid.pricing import BilledTokens, Cost, Meter

_TOKENS = ("input_tokens", "output_tokens", "cache_write_tokens", "cache_read_tokens")
_TOTALS = (*_TOKENS, "calls", "requests")
_MONEY = ("cost_usd", "uncertain_usd")


@dataclass(frozen=True)
class SendOutcome:
    """One Send as it happened."""

    model: str
    cap_usd: float | None
    estimated_usd: float
    consent: str
    frontier_only: Cost
    """What sending the whole study to the model would cost instead."""
    meters: Mapping[int, Meter]
    requests: int
    """Requests that reached Anthropic in this Send (attempts and token counts)."""
    finished: bool
    dropped: Mapping[int, Sequence[str]] = field(default_factory=dict)
    """Per persona index, the passage IDs Claude cited without being given them."""


def _send_summary(send: SendOutcome) -> dict[str, Any]:
    meters = send.meters.values()
    usd = sum(m.usd for m in meters)
    uncertain = sum(m.uncertain_usd for m in meters)
    return {
        "model": send.model,
        **{key: sum(getattr(m.usage, key) for m in meters) for key in _TOKENS},
        "calls": sum(m.calls for m in meters),
        "requests": send.requests,
        "cost_usd": round(usd + uncertain, 6),
        "uncertain_usd": round(uncertain, 6),
        "cap_usd": send.cap_usd,
        "estimated_usd": round(send.estimated_usd, 6),
        "frontier_only_usd": round(send.frontier_only.usd, 6),
        "frontier_only_input_tokens": send.frontier_only.input_tokens,
        "per_persona": {
            str(index): {
                **{key: getattr(m.usage, key) for key in _TOKENS},
                "cost_usd": round(m.spent_usd, 6),
                "dropped_citations": list(send.dropped.get(index, [])),
            }
            for index, m in send.meters.items()
        },
        "price_assumed": send.frontier_only.assumed,
        "interrupted": not send.finished,
        "consent": send.consent,
    }


def with_send(saved: Mapping[str, Any] | None, send: SendOutcome) -> dict[str, Any]:
    """The ``usage["frontier"]`` entry after ``send``: its totals added to ``saved`` (the
    entry of earlier Sends, if any); the model, cap and estimate are the latest Send's."""
    new = _send_summary(send)
    last = {key: new[key] for key in ("cost_usd", "requests", "interrupted")}
    if not saved:
        return {**new, "sends": 1, "last_send": last}
    total = dict(new)
    for key in _TOTALS:
        total[key] = int(saved.get(key, 0)) + new[key]
    for key in _MONEY:
        total[key] = round(float(saved.get(key, 0.0)) + new[key], 6)
    per = {k: dict(v) for k, v in saved.get("per_persona", {}).items()}
    for index, entry in new["per_persona"].items():
        before = per.get(index, {})
        per[index] = {
            **{key: int(before.get(key, 0)) + entry[key] for key in _TOKENS},
            "cost_usd": round(float(before.get("cost_usd", 0.0)) + entry["cost_usd"], 6),
            "dropped_citations": entry["dropped_citations"],
        }
    total["per_persona"] = per
    total["sends"] = int(saved.get("sends", 1)) + 1
    total["last_send"] = last
    return total


@dataclass(frozen=True)
class PersonaSpend:
    """What refining one persona cost over every Send, and what its last answer cited
    without being given."""

    tokens: BilledTokens
    cost_usd: float
    dropped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FrontierSpend:
    """What a run's refinement spent over all its Sends (see :func:`with_send`)."""

    model: str
    input_tokens: int
    """Input tokens billed at the full price (not read from or written to the cache)."""
    output_tokens: int
    cost_usd: float
    frontier_only_usd: float
    """What sending the whole study to the frontier model would have cost instead."""
    interrupted: bool
    per_persona: dict[int, PersonaSpend]
    """By the persona's index in the run."""
    sends: int = 1
    requests: int = 0
    """Requests that reached Anthropic, over all Sends."""
    last_cost_usd: float = 0.0
    last_requests: int = 0
    cache_write_tokens: int = 0
    """Input tokens written to Anthropic's prompt cache (billed 1.25×)."""
    cache_read_tokens: int = 0
    """Input tokens read from the prompt cache (billed 0.1×)."""

    @property
    def costs_more(self) -> bool:
        """The refinement cost more than a frontier-only run would have."""
        return self.cost_usd > self.frontier_only_usd

    @property
    def summary(self) -> str:
        """One line for every face: the total, and the last Send when there were several."""
        cached = ""
        if self.cache_write_tokens or self.cache_read_tokens:
            cached = (
                f" + {self.cache_write_tokens:,} written to and {self.cache_read_tokens:,} "
                "read from the prompt cache"
            )
        tokens = f"{self.input_tokens:,} input{cached} + {self.output_tokens:,} output tokens"
        text = f"Spent ${self.cost_usd:.4f} with {self.model} ({tokens})"
        if self.sends > 1:
            text += f" over {self.sends} sends; the last cost ${self.last_cost_usd:.4f}"
        if not self.last_requests:
            text += ". The last send sent nothing to Anthropic"
        return text + "."


def frontier_spend(run: Run) -> FrontierSpend | None:
    """The refinement's spend saved with ``run``; None before any refinement."""
    saved = run.usage.frontier
    if not saved:
        return None
    last = saved.get("last_send") or {}
    return FrontierSpend(
        model=str(saved.get("model", "?")),
        input_tokens=int(saved.get("input_tokens", 0)),
        output_tokens=int(saved.get("output_tokens", 0)),
        cost_usd=float(saved.get("cost_usd", 0.0)),
        frontier_only_usd=float(saved.get("frontier_only_usd", 0.0)),
        interrupted=bool(saved.get("interrupted", False)),
        per_persona={
            int(index): PersonaSpend(
                BilledTokens(*(int(cost.get(key, 0)) for key in _TOKENS)),
                float(cost.get("cost_usd", 0.0)),
                [str(i) for i in cost.get("dropped_citations", [])],
            )
            for index, cost in saved.get("per_persona", {}).items()
        },
        sends=int(saved.get("sends", 1)),
        requests=int(saved.get("requests", saved.get("calls", 0))),
        last_cost_usd=float(last.get("cost_usd", saved.get("cost_usd", 0.0))),
        last_requests=int(last.get("requests", saved.get("requests", saved.get("calls", 0)))),
        cache_write_tokens=int(saved.get("cache_write_tokens", 0)),
        cache_read_tokens=int(saved.get("cache_read_tokens", 0)),
    )
