"""`persona generate --hybrid`: the consent preview in the terminal, then Claude's refinement."""

from __future__ import annotations

import sys
from contextlib import closing

from persona.api.hybrid import FrontierClient, choose, dropped_text, frontier_spend, prepare, refine
from persona.cli.prompt import ask_yes
from persona.cli.terminal import drive
from persona.types import Preview, Reading, Run, Store


def _say(text: str) -> None:
    print(text, file=sys.stderr)


def confirm(preview: Preview, assume_yes: bool) -> bool:
    """Show what will be sent and ask; ``--yes`` answers for non-interactive use. While the
    estimate is above the budget cap it says so and asks nothing: nothing can be sent."""
    _say(f"Quality gate (threshold {preview.threshold:g}):")
    for item in preview.items:
        verdict = f"send: {item.how}" if item.selected else "keep"
        reasons = "; ".join([*item.unusable, *item.score.reasons]) or "no problems found"
        _say(f"  [{verdict}] {item.name}: {item.score.value:.0f}/100 — {reasons}")
    if not preview.selected:
        _say("Every draft passed the gate: nothing to send.")
        return False
    counts = ", ".join(f"{n} {kind}" for kind, n in preview.replaced().items())
    _say(f"Replaced before sending: {counts or 'no personal data found'}")
    if preview.withheld:
        _say(
            f"Not sent: {preview.withheld} citation(s) whose passage was not found word for "
            "word in your data or was not said by a participant."
        )
    cap = "no cap" if preview.cap_usd is None else f"cap ${preview.cap_usd:.2f}"
    _say(
        f"Estimated cost with {preview.model}: about ${preview.estimated_usd:.4f} for "
        f"~{preview.input_tokens:,} input tokens; at most ${preview.ceiling_usd:.4f} ({cap})."
    )
    if preview.cache_note:
        _say(preview.cache_note)
    if preview.over_budget:
        _say(f"Nothing was sent: {preview.over_budget} (--max-cost)")
        return True  # refine() sends nothing and records why
    if preview.costs_more:
        _say(
            f"Note: refining is expected to cost more than sending all your data to "
            f"{preview.model} in one go (about ${preview.frontier_only.usd:.4f})."
        )
    if assume_yes:
        return True
    for item in preview.selected:
        _say(f"\n--- payload for {item.name} ({item.how}) ---\n{item.payload}")
    return ask_yes(
        f"Send {len(preview.selected)} persona(s) to Claude? [y/N] ",
        unattended="Nothing was sent: confirm with --yes to refine without a prompt.",
    )


def refine_step(
    run: Run,
    reading: Reading,
    store: Store,
    frontier: FrontierClient,
    *,
    model: str,
    threshold: float,
    refine_all: bool,
    max_cost: float | None,
    assume_yes: bool,
) -> bool:
    """Preview, confirm, refine, and keep each refined version unless it is unusable and the
    draft is not (the user can change that on the Hybrid page). False when the budget cap
    refused the Send: then nothing was sent, and History records that."""
    preview = prepare(
        run,
        reading.documents,
        model=model,
        threshold=threshold,
        refine_all=refine_all,
        cap_usd=max_cost,
    )
    consent = preview.consent  # what the user is shown and confirms
    if not confirm(preview, assume_yes):
        return True
    with closing(refine(run, preview, frontier, store, consent=consent)) as steps:
        drive(steps)
    spend = frontier_spend(run)
    if spend is not None:
        _say(spend.summary)
        if spend.last_cost_usd > preview.frontier_only.usd:
            _say(
                f"Note: refining cost ${spend.last_cost_usd:.4f}, more than the frontier-only "
                f"estimate (${preview.frontier_only.usd:.4f})."
            )
    for index, record in enumerate(run.records):
        name = record.draft.name
        if record.refine_error:
            _say(f"Warning: {name}: {record.refine_error}")
            continue
        if record.refined is None:
            continue
        cost = spend.per_persona.get(index) if spend else None
        if cost and cost.dropped:
            _say(f"Warning: {name}: {dropped_text(cost.dropped)}")
        if record.refined.unusable:
            kept = "the draft is kept" if record.kept == "draft" else "its draft is unusable too"
            reasons = "; ".join(record.refined.unusable)
            _say(f"Warning: {name}: Claude's version is unusable ({reasons}); {kept}.")
        if record.kept == "refined":
            choose(run, index, "refined", store, passages=preview.passages)
    return not preview.over_budget
