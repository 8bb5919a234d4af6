"""Hybrid: local drafts → checks and quality gate → consent preview → Claude → the same checks.

Nothing is sent before the user agrees to the preview, and only what they agreed to: the
consent covers the exact requests, the model and the budget cap (:mod:`.consent`). Each draft
goes by reference (:mod:`.payload`): its claims with the IDs of the passages they cite and
those passages, every string redacted (:mod:`.redact`); an unusable draft goes only as
"rewrite from its passages". Claude cites IDs and never types a quote; Persona fills every
quote from its own passages (:mod:`.answer`), restores pseudonyms, and runs the same checks
as on a draft (:func:`persona.generation.checks.check_personas`) on the refined version and
on any per-field mix. Nothing reaches Anthropic unless the budget allows it: a Send whose
estimate is above the cap sends nothing at all; a :class:`Meter` per persona charges every
attempt; what was spent is added to the run's total even when the refinement stops half-way.
When the model's prompt cache makes it cheaper, every request of a Send starts with one shared
prefix, marked for the cache and paid in full once (:mod:`.caching`); the estimate, the cap and
the spend count cache writes and reads as Anthropic bills them. When one request for every
draft costs least, it carries them all and each answer is read on its own (:mod:`.batch`);
the plan is picked per model and Send (:mod:`.plans`). Claude answers only what it changes
(:mod:`.changes`); Persona rebuilds the whole persona before the checks.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from persona.core.diff import merge
from persona.core.documents import Document, Passage, with_passage_ids
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
from persona.generation import prompts
from persona.generation.checks import check_personas
from persona.generation.planner import PERSONA_ANSWER_TOKENS
from persona.history.store import Store
from persona.hybrid.answer import to_persona
from persona.hybrid.batch import BatchItem, BatchOutcome, batch_max_tokens, draft_key, refine_batch
from persona.hybrid.caching import Shared, minimum_cacheable, shared_passages
from persona.hybrid.changes import ignored_text
from persona.hybrid.cloud import FrontierClient, Refinement
from persona.hybrid.consent import Consent, fingerprint, require
from persona.hybrid.gate import Score, score_all
from persona.hybrid.payload import MODE_LABELS, Mode, build_payload
from persona.hybrid.plans import MAX_OUTPUT_TOKENS, Estimates, SendPlan, output_tokens
from persona.hybrid.pricing import Budget, Cost, Meter, PriceTable
from persona.hybrid.redact import Redactor, redactor_for, strings
from persona.hybrid.sources import require_run_files
from persona.hybrid.spend import SendRecord, record_send


@dataclass
class PreviewItem:
    """One draft: its score, whether it is sent and how, and exactly what would be sent."""

    index: int
    name: str
    score: Score
    selected: bool
    mode: Mode
    """``refine`` a usable draft, or ``rewrite`` an unusable one from its passages."""
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
    sent. An unusable draft is always offered, as "rewrite from its passages". The drafts go
    by the plan expected to cost least (:meth:`~.plans.Estimates.pick`), or by ``plan`` (to
    measure each)."""
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


def check_version(
    persona: Persona, others: Sequence[Persona], passages: Sequence[Passage]
) -> Persona:
    """``persona`` after the checks every version goes through, after ``others`` (the run's
    other personas: repeating one of them makes it unusable)."""
    return check_personas([*others, persona], passages)[-1]


def refine(
    run: Run,
    preview: Preview,
    frontier: FrontierClient,
    store: Store,
    *,
    consent: Consent | None,
    prices: PriceTable | None = None,
) -> Generator[Progress, None, None]:
    """Send the selected drafts (only if ``consent`` covers the preview exactly, and only
    if the estimate fits the cap), fill in and check each answer, and save it.

    With the batched plan one request carries every draft; its cost is shared among them by
    the length of their answers, and a draft it leaves out is sent on its own. A failure
    keeps the draft and records why; a rejected key or the budget cap stops further calls.
    The spend is added to the run's total in History however this ends, also when the caller
    stops iterating or the process is interrupted.
    """
    require(consent, preview.consent)
    prices = prices or PriceTable.load()
    price = prices.price_for(preview.model)
    budget = Budget(preview.cap_usd)
    meters: dict[int, Meter] = {}
    dropped: dict[int, list[str]] = {}
    selected = preview.selected
    done: set[int] = set()
    refined: set[int] = set()
    stop = f"Not sent: {preview.over_budget}" if preview.over_budget else ""
    finished = False
    sent_before = frontier.requests_sent
    by_id = {p.id: p for p in preview.passages}
    run.frontier_model = preview.model
    batch: BatchOutcome | None = None
    failure: PersonaError | None = None
    try:
        if preview.plan == "batched" and preview.shared is not None and selected and not stop:
            yield Progress("refine", f"Refining {len(selected)} personas in one request", 0.0)
            batch, failure = yield from _send_batch(
                preview, preview.shared, frontier, Meter(budget, price), meters
            )
            if isinstance(failure, BudgetExceeded | FrontierAuthError):
                stop = f"Not sent: {failure}"

        def answer(item: PreviewItem, key: str, meter: Meter) -> Refinement:
            """Claude's answer for ``item``: from the batch, else from a request of its own."""
            if failure is not None:
                raise failure
            if batch is not None and key in batch.answers:
                persona, ignored = batch.answers[key]
                return Refinement(persona, meter.usage, batch.model, batch.attempts, ignored)
            if batch is not None and key in batch.failed:
                raise UnusableAnswer(
                    f"Claude's answer for this persona did not match the persona schema after "
                    f"{batch.attempts} attempts ({batch.failed[key]}). Your draft is kept: try "
                    "again or pick another model.",
                    meter.usage.all_input,
                    meter.usage.output_tokens,
                )
            return frontier.refine(
                item.data,
                mode=item.mode,
                model=preview.model,
                max_tokens=MAX_OUTPUT_TOKENS,
                meter=meter,
                restore=preview.redactor.restore_data,
                shared=preview.shared if preview.plan == "cached" else None,
            )

        for step, item in enumerate(selected, start=1):
            record = run.records[item.index]
            record.score, record.score_reasons = item.score.value, list(item.score.reasons)
            fraction = (step - 1) / len(selected)
            if stop:
                record.refine_error = stop
                store.update_record(run.id, item.index, record)
                done.add(item.index)
                yield Progress("warning", f"{item.name}: {stop}", fraction)
                continue
            key = draft_key(step - 1)
            if batch is None or key in batch.unanswered:
                alone = " on its own" if batch is not None else ""
                yield Progress(
                    "refine", f"Refining {item.name}{alone} ({step} of {len(selected)})", fraction
                )
            meter = meters.setdefault(
                item.index, Meter(budget, price, minimum_output=item.output_tokens)
            )
            try:
                refinement = answer(item, key, meter)
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
            if refinement.ignored:
                yield Progress(
                    "warning", f"{item.name}: {ignored_text(refinement.ignored)}", fraction
                )
            resolved = to_persona(refinement.answer, by_id, item.ids)
            others = [r.current for j, r in enumerate(run.records) if j != item.index]
            record.refined = check_version(resolved.persona, others, preview.passages)
            record.refine_error = None
            worse = bool(record.refined.unusable) and not item.unusable
            if worse:  # an unusable version never replaces a usable draft by default
                record.chosen, record.choices = record.draft, {}
            store.update_record(run.id, item.index, record)
            done.add(item.index)
            refined.add(item.index)
            if resolved.dropped:
                dropped[item.index] = resolved.dropped
                yield Progress(
                    "warning", f"{item.name}: {dropped_text(resolved.dropped)}", fraction
                )
            if worse:
                reasons = "; ".join(record.refined.unusable)
                yield Progress(
                    "warning",
                    f"{item.name}: Claude's version is unusable ({reasons}); the draft is kept.",
                    fraction,
                )
            yield Progress("refine", f"{item.name} refined", step / len(selected))
        finished = True
    finally:
        send = SendRecord(
            model=preview.model,
            cap_usd=preview.cap_usd,
            estimated_usd=preview.estimated_usd,
            consent=preview.consent.fingerprint,
            frontier_only=preview.frontier_only,
            meters=meters,
            requests=frontier.requests_sent - sent_before,
            finished=finished,
            dropped=dropped,
        )
        _finish(run, preview, send, done, store)
    spent = sum(m.spent_usd for m in meters.values())
    yield Progress(
        "done",
        f"{len(refined)} of {len(selected)} personas refined · ${spent:.4f} spent",
        fraction=1.0,
    )


def _send_batch(
    preview: Preview,
    shared: Shared,
    frontier: FrontierClient,
    meter: Meter,
    meters: dict[int, Meter],
) -> Generator[Progress, None, tuple[BatchOutcome | None, PersonaError | None]]:
    """Send the batched plan's one request through ``meter``; its spend shared among the
    drafts' ``meters`` by the length of their answers (kept whole however the call ends)."""
    selected = preview.selected
    meter.minimum_output = sum(item.output_tokens for item in selected)
    meters[selected[0].index] = meter
    batch: BatchOutcome | None = None
    failure: PersonaError | None = None
    try:
        batch = refine_batch(
            frontier,
            [BatchItem(draft_key(n), item.data, item.mode) for n, item in enumerate(selected)],
            shared,
            model=preview.model,
            max_tokens=batch_max_tokens(len(selected)),
            meter=meter,
            restore=preview.redactor.restore_data,
        )
    except PersonaError as exc:  # the API or the budget: no draft was answered
        failure = exc
    weights = [batch.weights.get(draft_key(n), 0) if batch else 0 for n in range(len(selected))]
    shares = meter.split(weights, [item.output_tokens for item in selected])
    meters.update({item.index: share for item, share in zip(selected, shares, strict=True)})
    if batch is not None and batch.unanswered:
        how = "was cut off and " if batch.cut_off else ""
        said = (
            f"Claude declined to refine the {len(selected)} personas in one request"
            if batch.declined
            else f"Claude's answer {how}left out {len(batch.unanswered)} of {len(selected)} "
            "personas"
        )
        yield Progress("warning", f"{said}: each is refined on its own.", 0.0)
    return batch, failure


def dropped_text(ids: Sequence[str]) -> str:
    """What the page and the CLI say about citations of IDs Claude was not given."""
    return (
        f"Claude cited {len(ids)} passage ID(s) it was not given ({', '.join(ids)}); those "
        "citations were dropped."
    )


def _finish(run: Run, preview: Preview, send: SendRecord, done: set[int], store: Store) -> None:
    """Add the spend to the run's total, save the scores and how the refinement ended."""
    usage = record_send(run.usage.frontier, send)
    run.usage = run.usage.model_copy(update={"frontier": usage})
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
    if not send.finished:
        spent = usage["last_send"]["cost_usd"]
        run.status = "interrupted"
        run.message = (
            f"The refinement with {preview.model} was stopped after {len(done)} of "
            f"{len(preview.selected)} personas; ${spent:.4f} was spent."
        )
    else:
        run.status = "partial" if failed or run.status == "partial" else "complete"
    store.save(run)


def choose(
    run: Run,
    index: int,
    choice: Version | Mapping[str, Version],
    store: Store,
    *,
    passages: Sequence[Passage],
) -> PersonaRecord:
    """Keep the draft, the refined version, or a per-field mix; saved to History. A mix is
    a new version: it goes through the same checks against ``passages`` (the study's)."""
    record = run.records[index]
    if record.refined is None:
        raise InputError(f"{record.draft.name} has no refined version to choose from.")
    if choice == "draft":
        record.chosen, record.choices = record.draft, {}
    elif choice == "refined":
        record.chosen, record.choices = record.refined, {}
    else:
        record.choices = dict(choice)
        mixed = merge(record.draft, record.refined, record.choices)
        others = [r.current for j, r in enumerate(run.records) if j != index]
        record.chosen = check_version(mixed, others, with_passage_ids(passages))
    store.update_record(run.id, index, record)
    return record
