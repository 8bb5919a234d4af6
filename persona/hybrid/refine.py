"""Hybrid: local drafts → quality gate → consent preview → Claude refinement → local checks.

Nothing is sent before the user confirms the preview. What is sent is the draft persona
with only its verified quotes, redacted; pseudonyms are restored locally, and the
refined persona's quotes are checked against the uploaded data again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from persona.core.diff import merge
from persona.core.documents import Passage
from persona.core.errors import BudgetExceeded, FrontierAuthError, FrontierError, InputError
from persona.core.progress import Progress
from persona.core.records import PersonaRecord, Run
from persona.core.schema import Persona
from persona.core.tokens import estimate_tokens
from persona.generation.evidence import verify_personas
from persona.generation.planner import PERSONA_ANSWER_TOKENS
from persona.generation.prompts import PERSONAS_SYSTEM
from persona.history.store import Store
from persona.hybrid.cloud import FrontierClient, TokenCount, UnusableAnswer, refine_messages
from persona.hybrid.gate import Score, score_all
from persona.hybrid.pricing import Budget, Cost, PriceTable
from persona.hybrid.redact import Redactor, collect_names

REFINE_SYSTEM = (
    "You are a senior UX researcher improving personas that a small local model drafted from "
    "interviews and surveys. Make each persona clearer, more specific and internally "
    "consistent: sharpen the bio, goals, pain points, behaviours and motivations, and remove "
    "claims no quote supports. Use only the quotes given, exactly as written, with their "
    "source and locator; never invent, edit or merge quotes. Pseudonyms such as [PERSON_1] "
    "or [EMAIL_1] stand for redacted personal data: keep them exactly as they are."
)
OUTPUT_FACTOR = 1.3
"""A refined persona is usually a little longer than the draft."""
MAX_OUTPUT_TOKENS = 4096


def only_verified(persona: Persona) -> Persona:
    """The persona with unverified quotes removed from its claims (they are not sent)."""
    copy = persona.model_copy(deep=True)
    for _, claim in copy.claims():
        claim.evidence = [e for e in claim.evidence if e.verified is not False]
    return copy


@dataclass
class PreviewItem:
    """One draft: its score, whether it is sent, and exactly what would be sent."""

    index: int
    name: str
    score: Score
    selected: bool
    sent: Persona
    payload: str
    input_tokens: TokenCount
    output_tokens: int
    cost: Cost


@dataclass
class Preview:
    """What the user confirms before anything leaves the machine."""

    model: str
    items: list[PreviewItem]
    redactor: Redactor
    frontier_only: Cost
    threshold: float
    notes: list[str] = field(default_factory=list)

    @property
    def selected(self) -> list[PreviewItem]:
        return [item for item in self.items if item.selected]

    @property
    def estimated_usd(self) -> float:
        return sum(item.cost.usd for item in self.selected)

    @property
    def input_tokens(self) -> int:
        return sum(item.input_tokens.tokens for item in self.selected)


def _redactor(passages: Sequence[Passage], personas: Sequence[Persona]) -> Redactor:
    redactor = Redactor()
    redactor.add_names(collect_names(passages))
    redactor.add_names(name for p in personas for name in p.participants)
    return redactor


def frontier_only_cost(
    passages: Sequence[Passage], count: int, model: str, prices: PriceTable
) -> Cost:
    """What sending the whole corpus to the frontier model would cost instead."""
    corpus = sum(estimate_tokens(f"{p.locator}: {p.text}") for p in passages)
    return prices.cost(
        model, corpus + estimate_tokens(PERSONAS_SYSTEM), count * PERSONA_ANSWER_TOKENS
    )


def prepare(
    run: Run,
    passages: Sequence[Passage],
    *,
    model: str,
    threshold: float,
    refine_all: bool = False,
    prices: PriceTable | None = None,
) -> Preview:
    """Score the drafts and build the consent preview. Nothing is sent: estimates are local."""
    if not run.records:
        raise InputError("There are no draft personas to refine yet: generate drafts first.")
    prices = prices or PriceTable.load()
    drafts = [record.draft for record in run.records]
    redactor = _redactor(passages, drafts)
    items = []
    for index, (draft, score) in enumerate(zip(drafts, score_all(drafts), strict=True)):
        sent = redactor.redact_persona(only_verified(draft))
        message = refine_messages(sent)[0]["content"]
        tokens = TokenCount(estimate_tokens(REFINE_SYSTEM) + estimate_tokens(message), False)
        output = int(estimate_tokens(message) * OUTPUT_FACTOR)
        items.append(
            PreviewItem(
                index=index,
                name=draft.name,
                score=score,
                selected=refine_all or score.value < threshold,
                sent=sent,
                payload=f"System:\n{REFINE_SYSTEM}\n\nUser:\n{message}",
                input_tokens=tokens,
                output_tokens=output,
                cost=prices.cost(model, tokens.tokens, output),
            )
        )
    return Preview(
        model=model,
        items=items,
        redactor=redactor,
        frontier_only=frontier_only_cost(passages, len(drafts), model, prices),
        threshold=threshold,
    )


def _invented(draft: Persona, refined: Persona) -> list[str]:
    known = {e.quote.strip() for e in draft.all_evidence()}
    return [
        e.quote
        for e in refined.all_evidence()
        if e.verified is False and e.quote.strip() not in known
    ]


@dataclass
class _Spend:
    input_tokens: int = 0
    output_tokens: int = 0
    usd: float = 0.0
    per_persona: dict[str, dict[str, float | int]] = field(default_factory=dict)

    def add(self, index: int, input_tokens: int, output_tokens: int, cost: Cost) -> None:
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens
        self.usd += cost.usd
        self.per_persona[str(index)] = {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cost_usd": round(cost.usd, 6),
        }


def refine(
    run: Run,
    preview: Preview,
    frontier: FrontierClient,
    passages: Sequence[Passage],
    store: Store,
    *,
    budget: Budget,
    prices: PriceTable | None = None,
) -> Iterator[Progress]:
    """Send the selected drafts (consent given), restore, re-verify and save each result.

    A failure keeps the draft and records why; a rejected key or the budget cap stops
    further calls. The exact token count is asked for right before each call so the
    budget is checked against real numbers.
    """
    prices = prices or PriceTable.load()
    model = preview.model
    selected = preview.selected
    spend = _Spend()
    stop = ""
    for step, item in enumerate(selected, start=1):
        record = run.records[item.index]
        record.score, record.score_reasons = item.score.value, list(item.score.reasons)
        fraction = (step - 1) / len(selected)
        if stop:
            record.refine_error = stop
            store.update_record(run.id, item.index, record)
            continue
        yield Progress("refine", f"Refining {item.name} ({step} of {len(selected)})", fraction)
        estimate: Cost | None = None
        try:
            counted = frontier.count_refine_tokens(item.sent, system=REFINE_SYSTEM, model=model)
            estimate = prices.cost(model, counted.tokens, item.output_tokens)
            budget.charge(estimate)
            refinement = frontier.refine(
                item.sent, system=REFINE_SYSTEM, model=model, max_tokens=MAX_OUTPUT_TOKENS
            )
        except FrontierError as exc:
            if isinstance(exc, UnusableAnswer):
                actual = prices.cost(model, exc.usage.input_tokens, exc.usage.output_tokens)
                spend.add(item.index, exc.usage.input_tokens, exc.usage.output_tokens, actual)
                budget.settle(estimate or 0.0, actual)
            elif estimate is not None and not isinstance(exc, BudgetExceeded):
                budget.settle(estimate, 0.0)
            if isinstance(exc, BudgetExceeded | FrontierAuthError):
                stop = f"Not sent: {exc}"
                record.refine_error = stop
            else:
                record.refine_error = f"{exc} The draft is kept."
            store.update_record(run.id, item.index, record)
            yield Progress("warning", f"{item.name}: {record.refine_error}", fraction)
            continue
        usage = refinement.usage
        actual = prices.cost(model, usage.input_tokens, usage.output_tokens)
        budget.settle(estimate, actual)
        spend.add(item.index, usage.input_tokens, usage.output_tokens, actual)
        [checked] = verify_personas(
            [preview.redactor.restore_persona(refinement.persona)], passages
        )
        invented = _invented(record.draft, checked)
        if invented:
            record.score_reasons.append(
                f"Claude's version has {len(invented)} quote(s) that are not in your data"
            )
        record.refined, record.refine_error = checked, None
        store.update_record(run.id, item.index, record)
        yield Progress("refine", f"{item.name} refined", step / len(selected))
    for item in preview.items:
        if not item.selected:
            record = run.records[item.index]
            record.score, record.score_reasons = item.score.value, list(item.score.reasons)
            store.update_record(run.id, item.index, record)
    _finish(run, preview, spend, store)
    refined = sum(1 for item in selected if run.records[item.index].refined)
    yield Progress(
        "done",
        f"{refined} of {len(selected)} personas refined · ${spend.usd:.4f} spent",
        fraction=1.0,
    )


def _finish(run: Run, preview: Preview, spend: _Spend, store: Store) -> None:
    run.usage = {
        **run.usage,
        "frontier": {
            "model": preview.model,
            "input_tokens": spend.input_tokens,
            "output_tokens": spend.output_tokens,
            "cost_usd": round(spend.usd, 6),
            "estimated_usd": round(preview.estimated_usd, 6),
            "frontier_only_usd": round(preview.frontier_only.usd, 6),
            "frontier_only_input_tokens": preview.frontier_only.input_tokens,
            "per_persona": spend.per_persona,
            "price_assumed": preview.frontier_only.assumed,
        },
    }
    failed = any(item.selected and run.records[item.index].refine_error for item in preview.items)
    run.status = "partial" if failed or run.status == "partial" else "complete"
    store.finish(run.id, run.status, message=run.message, usage=run.usage)


Choice = Literal["draft", "refined"]


def choose(
    run: Run, index: int, choice: Choice | Mapping[str, Choice], store: Store
) -> PersonaRecord:
    """Keep the draft, the refined version, or a per-field mix; saved to History."""
    record = run.records[index]
    if record.refined is None:
        raise InputError(f"{record.draft.name} has no refined version to choose from.")
    if choice == "draft":
        record.chosen, record.choices = record.draft, {}
    elif choice == "refined":
        record.chosen, record.choices = record.refined, {}
    else:
        record.choices = dict(choice)
        record.chosen = merge(record.draft, record.refined, record.choices)
    store.update_record(run.id, index, record)
    return record
