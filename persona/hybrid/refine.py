"""Hybrid: local drafts → quality gate → consent preview → Claude refinement → local checks.

Nothing is sent before the user agrees to the preview, and only what they agreed to: the
consent covers the exact requests, the model and the budget cap (:mod:`.consent`). What is
sent is each draft with only its verified, participant-spoken quotes (:mod:`.payload`),
every string redacted (:mod:`.redact`); pseudonyms are restored locally, and the refined
persona's quotes are checked against the research files again. A :class:`Meter` per persona
keeps spending under the cap, and what was spent is saved even when the refinement stops
half-way (a rerun, a closed tab, Ctrl-C).
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from persona.core.diff import merge
from persona.core.documents import Document, Passage
from persona.core.errors import (
    BudgetExceeded,
    FrontierAuthError,
    InputError,
    PersonaError,
    UnusableAnswer,
)
from persona.core.progress import Progress
from persona.core.records import PersonaRecord, Run, Version
from persona.core.schema import Persona
from persona.core.tokens import estimate_tokens
from persona.generation.evidence import verify_personas
from persona.generation.planner import PERSONA_ANSWER_TOKENS
from persona.generation.prompts import PERSONAS_SYSTEM
from persona.history.store import Store
from persona.hybrid.cloud import (
    DEFAULT_MAX_TOKENS,
    REPAIR_ATTEMPTS,
    FrontierClient,
    refine_messages,
)
from persona.hybrid.consent import Consent, fingerprint, require
from persona.hybrid.gate import Score, score_all
from persona.hybrid.payload import build_payload
from persona.hybrid.pricing import BilledTokens, Budget, Cost, Meter, PriceTable
from persona.hybrid.redact import Redactor, redactor_for, strings
from persona.hybrid.sources import require_run_files

REFINE_SYSTEM = (
    "You are a senior UX researcher improving personas that a small local model drafted from "
    "interviews and surveys. Make each persona clearer, more specific and internally "
    "consistent: sharpen the bio, goals, pain points, behaviours and motivations, and remove "
    "claims no quote supports. Use only the quotes given, exactly as written, with their "
    "source and locator; never invent, edit or merge quotes. Pseudonyms in square brackets, "
    "such as [PERSON_n], [FILE_n] or [EMAIL_n] with a number for n, stand for redacted "
    "personal data: keep them exactly as they are."
)
OUTPUT_FACTOR = 1.3
"""A refined persona is usually a little longer than the draft."""
MAX_OUTPUT_TOKENS = DEFAULT_MAX_TOKENS
"""The most output tokens one call may use (the budget may allow fewer)."""
CALLS_PER_PERSONA = REPAIR_ATTEMPTS + 1


@dataclass
class PreviewItem:
    """One draft: its score, whether it is sent, and exactly what would be sent."""

    index: int
    name: str
    score: Score
    selected: bool
    data: dict[str, Any]
    """The redacted payload."""
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
    """Quotes not sent: unverified, or not said by a participant."""


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
        model, corpus + estimate_tokens(PERSONAS_SYSTEM), count * PERSONA_ANSWER_TOKENS
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
) -> Preview:
    """Check the files, score the drafts and build the consent preview. Nothing is sent."""
    if not run.records:
        raise InputError("There are no draft personas to refine yet: generate drafts first.")
    if cap_usd is not None and cap_usd < 0:
        raise InputError(f"The budget cap must be 0 USD or more, not {cap_usd}.")
    require_run_files(run, documents)
    prices = prices or PriceTable.load()
    passages = [p for d in documents for p in d.passages]
    drafts = [record.draft for record in run.records]
    payloads = [build_payload(draft, passages) for draft in drafts]
    identifiers = [value for d in documents for value in d.identifiers]
    redactor = redactor_for(passages, [p.data for p in payloads], identifiers=identifiers)
    items = []
    for index, (draft, score, payload) in enumerate(
        zip(drafts, score_all(drafts), payloads, strict=True)
    ):
        data = redactor.redact_data(payload.data)
        message = refine_messages(data)[0]["content"]
        tokens = estimate_tokens(REFINE_SYSTEM) + estimate_tokens(message)
        output = min(int(estimate_tokens(message) * OUTPUT_FACTOR), MAX_OUTPUT_TOKENS)
        repair_input = tokens + MAX_OUTPUT_TOKENS
        worst_input = tokens + REPAIR_ATTEMPTS * repair_input
        items.append(
            PreviewItem(
                index=index,
                name=draft.name,
                score=score,
                selected=refine_all or score.value < threshold,
                data=data,
                payload=f"System:\n{REFINE_SYSTEM}\n\nUser:\n{message}",
                input_tokens=tokens,
                output_tokens=output,
                cost=prices.cost(model, tokens, output),
                worst=prices.cost(model, worst_input, CALLS_PER_PERSONA * MAX_OUTPUT_TOKENS),
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
    )


def _invented(draft_quotes: set[str], refined: Persona) -> list[str]:
    return [
        e.quote
        for e in refined.all_evidence()
        if e.verified is False and e.quote.strip() not in draft_quotes
    ]


def refine(
    run: Run,
    preview: Preview,
    frontier: FrontierClient,
    store: Store,
    *,
    consent: Consent | None,
    prices: PriceTable | None = None,
) -> Generator[Progress, None, None]:
    """Send the selected drafts (only if ``consent`` covers the preview exactly), restore,
    re-verify and save each result.

    A failure keeps the draft and records why; a rejected key or the budget cap stops
    further calls. The spend is saved in History however this ends, also when the caller
    stops iterating or the process is interrupted.
    """
    require(consent, preview.consent)
    prices = prices or PriceTable.load()
    price = prices.price_for(preview.model)
    budget = Budget(preview.cap_usd)
    meters: dict[int, Meter] = {}
    selected = preview.selected
    done: set[int] = set()
    stop = ""
    finished = False
    run.frontier_model = preview.model
    try:
        for step, item in enumerate(selected, start=1):
            record = run.records[item.index]
            record.score, record.score_reasons = item.score.value, list(item.score.reasons)
            fraction = (step - 1) / len(selected)
            if stop:
                record.refine_error = stop
                store.update_record(run.id, item.index, record)
                done.add(item.index)
                continue
            yield Progress("refine", f"Refining {item.name} ({step} of {len(selected)})", fraction)
            meter = meters[item.index] = Meter(budget, price, minimum_output=item.output_tokens)
            try:
                refinement = frontier.refine(
                    item.data,
                    system=REFINE_SYSTEM,
                    model=preview.model,
                    max_tokens=MAX_OUTPUT_TOKENS,
                    meter=meter,
                    restore=preview.redactor.restore_data,
                )
            except PersonaError as exc:  # the API, the budget, or restoring the answer
                if isinstance(exc, BudgetExceeded | FrontierAuthError):
                    stop = f"Not sent: {exc}"
                    record.refine_error = stop
                elif isinstance(exc, UnusableAnswer):
                    record.refine_error = str(exc)
                else:
                    record.refine_error = f"{exc} The draft is kept."
                store.update_record(run.id, item.index, record)
                done.add(item.index)
                yield Progress("warning", f"{item.name}: {record.refine_error}", fraction)
                continue
            [checked] = verify_personas([refinement.persona], preview.passages)
            invented = _invented({e.quote.strip() for e in record.draft.all_evidence()}, checked)
            if invented:
                record.score_reasons.append(
                    f"Claude's version has {len(invented)} quote(s) that are not in your data"
                )
            record.refined, record.refine_error = checked, None
            store.update_record(run.id, item.index, record)
            done.add(item.index)
            yield Progress("refine", f"{item.name} refined", step / len(selected))
        finished = True
    finally:
        _finish(run, preview, meters, done, finished, store)
    spent = sum(m.spent_usd for m in meters.values())
    refined = sum(1 for item in selected if run.records[item.index].refined)
    yield Progress(
        "done",
        f"{refined} of {len(selected)} personas refined · ${spent:.4f} spent",
        fraction=1.0,
    )


def spend_summary(preview: Preview, meters: Mapping[int, Meter], finished: bool) -> dict[str, Any]:
    """The ``usage["frontier"]`` entry saved with the run."""
    usd = sum(m.usd for m in meters.values())
    uncertain = sum(m.uncertain_usd for m in meters.values())
    return {
        "model": preview.model,
        "input_tokens": sum(m.usage.input_tokens for m in meters.values()),
        "output_tokens": sum(m.usage.output_tokens for m in meters.values()),
        "calls": sum(m.calls for m in meters.values()),
        "cost_usd": round(usd + uncertain, 6),
        "uncertain_usd": round(uncertain, 6),
        "cap_usd": preview.cap_usd,
        "estimated_usd": round(preview.estimated_usd, 6),
        "frontier_only_usd": round(preview.frontier_only.usd, 6),
        "frontier_only_input_tokens": preview.frontier_only.input_tokens,
        "per_persona": {
            str(index): {
                "input_tokens": m.usage.input_tokens,
                "output_tokens": m.usage.output_tokens,
                "cost_usd": round(m.spent_usd, 6),
            }
            for index, m in meters.items()
        },
        "price_assumed": preview.frontier_only.assumed,
        "interrupted": not finished,
        "consent": preview.consent.fingerprint,
    }


@dataclass(frozen=True)
class PersonaSpend:
    """What refining one persona cost: the tokens billed and their price."""

    tokens: BilledTokens
    cost_usd: float


@dataclass(frozen=True)
class FrontierSpend:
    """What a run's refinement spent, as :func:`spend_summary` saved it with the run."""

    model: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    frontier_only_usd: float
    """What sending the whole study to the frontier model would have cost instead."""
    interrupted: bool
    per_persona: dict[int, PersonaSpend]
    """By the persona's index in the run."""

    @property
    def costs_more(self) -> bool:
        """The refinement cost more than a frontier-only run would have."""
        return self.cost_usd > self.frontier_only_usd


def frontier_spend(run: Run) -> FrontierSpend | None:
    """The refinement's spend saved with ``run``; None before any refinement."""
    saved = run.usage.get("frontier")
    if not saved:
        return None
    return FrontierSpend(
        model=str(saved.get("model", "?")),
        input_tokens=int(saved.get("input_tokens", 0)),
        output_tokens=int(saved.get("output_tokens", 0)),
        cost_usd=float(saved.get("cost_usd", 0.0)),
        frontier_only_usd=float(saved.get("frontier_only_usd", 0.0)),
        interrupted=bool(saved.get("interrupted", False)),
        per_persona={
            int(index): PersonaSpend(
                BilledTokens(int(cost.get("input_tokens", 0)), int(cost.get("output_tokens", 0))),
                float(cost.get("cost_usd", 0.0)),
            )
            for index, cost in saved.get("per_persona", {}).items()
        },
    )


def _finish(
    run: Run,
    preview: Preview,
    meters: Mapping[int, Meter],
    done: set[int],
    finished: bool,
    store: Store,
) -> None:
    """Save the spend, the scores and how the refinement ended, however it ended."""
    usage = spend_summary(preview, meters, finished)
    run.usage = {**run.usage, "frontier": usage}
    for item in preview.items:
        record = run.records[item.index]
        if item.index not in done:
            record.score, record.score_reasons = item.score.value, list(item.score.reasons)
        if item.selected and item.index not in done:
            record.refine_error = (
                "Not refined: the refinement was stopped before this persona was finished. "
                "The draft is kept."
            )
    failed = any(item.selected and run.records[item.index].refine_error for item in preview.items)
    if not finished:
        run.status = "interrupted"
        run.message = (
            f"The refinement with {preview.model} was stopped after {len(done)} of "
            f"{len(preview.selected)} personas; ${usage['cost_usd']:.4f} was spent."
        )
    else:
        run.status = "partial" if failed or run.status == "partial" else "complete"
    store.save(run)


def choose(
    run: Run, index: int, choice: Version | Mapping[str, Version], store: Store
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
