"""The consent preview: what the user agrees to before anything leaves the machine.

:func:`prepare` checks the files and the drafts, scores them (:mod:`.gate`), builds each
draft's payload by reference (:mod:`.payload`), redacts it (:mod:`.redact`) and prices it by
the Send plan expected to cost least (:mod:`.plans`). Nothing is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from persona.core.documents import Document, Passage, with_passage_ids
from persona.core.errors import InputError
from persona.core.records import Run
from persona.core.tokens import estimate_tokens
from persona.generation import prompts
from persona.generation.checks import check_personas
from persona.generation.planner import PERSONA_ANSWER_TOKENS
from persona.hybrid.caching import Shared, minimum_cacheable, shared_passages
from persona.hybrid.consent import Consent, fingerprint
from persona.hybrid.gate import Score, score_all
from persona.hybrid.payload import MODE_LABELS, Mode, build_payload
from persona.hybrid.plans import Estimates, SendPlan, output_tokens
from persona.hybrid.pricing import Cost, PriceTable
from persona.hybrid.redact import Redactor, redactor_for, strings
from persona.hybrid.sources import require_run_files


@dataclass
class PreviewItem:
    """One draft: its score, whether it is sent and how, and exactly what would be sent."""

    index: int
    name: str
    score: Score
    selected: bool
    mode: Mode
    """``refine`` a usable draft, or ``repair`` the problems of an unusable one."""
    unusable: list[str]
    """Why the draft is unusable (by the checks), empty when it is usable."""
    data: dict[str, Any]
    """The redacted payload."""
    ids: list[str]
    """The passage IDs sent: the only ones Claude's answer may cite."""
    payload: str
    """The exact request text: system prompt and message."""
    input_tokens: int
    output_tokens: int
    """Expected output tokens (also the fewest worth paying for)."""
    cost: Cost
    """Expected cost."""
    worst: Cost
    """Every call at its maximum output, with one repair."""
    withheld: int
    """Citations not sent: not found word for word, or not said by a participant."""

    @property
    def how(self) -> str:
        """How it is sent, in words."""
        return MODE_LABELS[self.mode]


@dataclass
class Preview:
    """What the user agrees to before anything leaves the machine."""

    model: str
    cap_usd: float | None
    items: list[PreviewItem]
    redactor: Redactor
    frontier_only: Cost
    threshold: float
    passages: list[Passage] = field(repr=False, default_factory=list)
    """The study's passages, with the IDs the requests use."""
    shared: Shared | None = None
    """The passages of the Send, each once: the prefix every request starts with, marked
    for the prompt cache (``cached``), or the passages of the one request (``batched``);
    None when each draft is sent with its own passages (see :mod:`.plans`)."""
    prefix_tokens: int = 0
    """The shared prefix's estimated tokens (0 without one)."""
    plan: SendPlan = "separate"

    @property
    def cache_note(self) -> str:
        """How the Send shares what its drafts have in common, in words for every face."""
        if self.plan == "batched" and self.shared is not None:
            return (
                f"All {len(self.selected)} drafts go in one request: the instructions, the "
                f"schema and the {len(self.shared.passages)} passages they cite are sent once, "
                "then each draft by its passage IDs. Claude answers only what it changes. "
                "A draft its answer leaves out (or cuts off) is sent again on its own, with "
                "its own passages."
            )
        if self.shared is not None:
            return (
                f"The instructions and the {len(self.shared.passages)} passages are sent as "
                f"one shared prefix of ~{self.prefix_tokens:,} tokens, cached by Anthropic: "
                "the first request pays it at 1.25× the input price, each later one at 0.1×."
            )
        if len(self.selected) < 2:
            return ""
        return (
            f"Each draft is sent with its own passages: a shared prefix would not be cached by "
            f"{self.model} (it needs at least {minimum_cacheable(self.model):,} tokens) or "
            "would cost more."
        )

    @property
    def selected(self) -> list[PreviewItem]:
        return [item for item in self.items if item.selected]

    @property
    def estimated_usd(self) -> float:
        return sum(item.cost.usd for item in self.selected)

    @property
    def ceiling_usd(self) -> float:
        """The most this refinement can cost: the worst case, never above the cap."""
        worst = sum(item.worst.usd for item in self.selected)
        return worst if self.cap_usd is None else min(worst, self.cap_usd)

    @property
    def input_tokens(self) -> int:
        return sum(item.input_tokens for item in self.selected)

    @property
    def costs_more(self) -> bool:
        """Whether refining is expected to cost more than a frontier-only run would."""
        return self.estimated_usd > self.frontier_only.usd

    @property
    def withheld(self) -> int:
        return sum(item.withheld for item in self.selected)

    @property
    def over_budget(self) -> str:
        """Why the budget allows sending nothing (empty when the estimate fits the cap)."""
        if self.cap_usd is None or not self.selected or self.estimated_usd <= self.cap_usd:
            return ""
        return (
            f"the estimated cost (${self.estimated_usd:.4f}) is above your budget cap "
            f"(${self.cap_usd:.2f}). Raise the cap, refine fewer drafts or pick a cheaper model."
        )

    def replaced(self) -> dict[str, int]:
        """What redaction replaced in what is actually sent: ``{"names": 3, ...}``."""
        return self.redactor.counts(text for item in self.selected for text in strings(item.data))

    @property
    def consent(self) -> Consent:
        """What agreeing to this preview covers."""
        return Consent(
            self.model,
            self.cap_usd,
            tuple((item.name, fingerprint(item.payload)) for item in self.selected),
        )


def frontier_only_cost(
    passages: Sequence[Passage], count: int, model: str, prices: PriceTable
) -> Cost:
    """What sending the whole corpus to the frontier model would cost instead."""
    corpus = sum(estimate_tokens(f"{p.locator}: {p.text}") for p in passages)
    return prices.cost(
        model,
        corpus + estimate_tokens(prompts.SYSTEM + prompts.personas_prompt([], count, "")),
        count * PERSONA_ANSWER_TOKENS,
    )


def prepare(
    run: Run,
    documents: Sequence[Document],
    *,
    model: str,
    threshold: float,
    refine_all: bool = False,
    cap_usd: float | None = None,
    prices: PriceTable | None = None,
    plan: SendPlan | None = None,
) -> Preview:
    """Check the files and the drafts, score them and build the consent preview. Nothing is
    sent. An unusable draft is always offered, as "repair the problems Persona found". The
    drafts go by the plan expected to cost least (:meth:`~.plans.Estimates.pick`), or by
    ``plan`` (to measure each)."""
    if not run.records:
        raise InputError("There are no draft personas to refine yet: generate drafts first.")
    if cap_usd is not None and cap_usd < 0:
        raise InputError(f"The budget cap must be 0 USD or more, not {cap_usd}.")
    require_run_files(run, documents)
    prices = prices or PriceTable.load()
    passages = with_passage_ids([p for d in documents for p in d.passages])
    drafts = check_personas([record.draft for record in run.records], passages)
    payloads = [build_payload(draft, passages) for draft in drafts]
    identifiers = [value for d in documents for value in d.identifiers]
    redactor = redactor_for(passages, [p.data for p in payloads], identifiers=identifiers)
    scores = score_all(drafts)
    datas = [redactor.redact_data(payload.data) for payload in payloads]
    chosen = [
        bool(payload.ids) and (refine_all or bool(draft.unusable) or score.value < threshold)
        for draft, score, payload in zip(drafts, scores, payloads, strict=True)
    ]
    sent = [i for i, selected in enumerate(chosen) if selected]
    shared = shared_passages([datas[i] for i in sent])
    outputs = [output_tokens(data) for data in datas]
    estimates = Estimates(model, prices, datas, [p.mode for p in payloads], outputs, shared)
    if plan is None:
        plan = estimates.pick(sent)
    items = []
    for index, (draft, score, payload, data) in enumerate(
        zip(drafts, scores, payloads, datas, strict=True)
    ):
        planned = estimates.item(plan if chosen[index] else "separate", index, sent)
        items.append(
            PreviewItem(
                index=index,
                name=draft.name,
                score=score,
                selected=chosen[index],
                mode=payload.mode,
                unusable=list(draft.unusable),
                data=data,
                ids=shared.ids if planned.request.cached or planned.batched else payload.ids,
                payload=planned.text,
                input_tokens=planned.input_tokens,
                output_tokens=outputs[index],
                cost=planned.cost,
                worst=planned.worst,
                withheld=payload.withheld,
            )
        )
    return Preview(
        model=model,
        cap_usd=cap_usd,
        items=items,
        redactor=redactor,
        frontier_only=frontier_only_cost(passages, len(drafts), model, prices),
        threshold=threshold,
        passages=passages,
        shared=shared if plan != "separate" else None,
        prefix_tokens=estimates.prefix if plan != "separate" else 0,
        plan=plan,
    )
