"""Hybrid: local drafts → checks and quality gate → consent preview → Claude → the same checks.

Nothing is sent before the user agrees to the preview, and only what they agreed to: the
consent covers the exact requests, the model and the budget cap (:mod:`.consent`). Each draft
goes by reference (:mod:`.payload`): its claims with the IDs of the passages they cite and
those passages, every string redacted (:mod:`.redact`); an unusable draft goes with the
problems Persona found, to be repaired. Claude cites IDs and never types a quote; Persona fills
every quote from its own passages (:mod:`.answer`), restores pseudonyms, and runs the same checks
as on a draft (:func:`persona.generation.checks.check_personas`) on the refined version and
on any per-field mix. Nothing reaches Anthropic unless the budget allows it: a Send whose
estimate is above the cap sends nothing at all; a :class:`Meter` per persona charges every
attempt; what was spent is added to the run's total even when the refinement stops half-way.
When the model's prompt cache makes it cheaper, every request of a Send starts with one shared
prefix, marked for the cache and paid in full once (:mod:`.caching`); the estimate, the cap and
the spend count cache writes and reads as Anthropic bills them. When one request for every
draft costs least, it carries them all and each answer is read on its own (:mod:`.batch`);
the plan is picked per model and Send (:mod:`.plans`). Claude answers only what it changes
(:mod:`.changes`); Persona rebuilds the whole persona before the checks. The preview is built
by :mod:`.preview`; which version is kept, by :mod:`.versions`.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence

from persona.core.errors import BudgetExceeded, FrontierAuthError, PersonaError, UnusableAnswer
from persona.core.progress import Progress
from persona.core.records import Run
from persona.history.store import Store
from persona.hybrid.answer import to_persona
from persona.hybrid.batch import BatchItem, BatchOutcome, batch_max_tokens, draft_key, refine_batch
from persona.hybrid.caching import Shared
from persona.hybrid.changes import ignored_text
from persona.hybrid.cloud import FrontierClient, Refinement
from persona.hybrid.consent import Consent, require
from persona.hybrid.plans import MAX_OUTPUT_TOKENS
from persona.hybrid.preview import Preview, PreviewItem
from persona.hybrid.pricing import Budget, Meter, PriceTable
from persona.hybrid.spend import SendOutcome, with_send
from persona.hybrid.versions import check_version


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
        send = SendOutcome(
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


def _finish(run: Run, preview: Preview, send: SendOutcome, done: set[int], store: Store) -> None:
    """Add the spend to the run's total, save the scores and how the refinement ended."""
    usage = with_send(run.usage.frontier, send)
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
