"""`persona generate --hybrid`: the consent preview in the terminal, then Claude's refinement."""

from __future__ import annotations

import sys
from contextlib import closing

from persona.api.hybrid import (
    NOTHING_TO_REFINE,
    FrontierClient,
    cap_text,
    choose,
    costs_more_text,
    dropped_text,
    frontier_spend,
    gate_reasons,
    gate_verdict,
    overspend_text,
    prepare,
    refine,
    replaced_text,
    unusable_text,
    withheld_text,
)
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
        _say(
            f"  [{gate_verdict(item)}] {item.name}: {item.score.value:.0f}/100 — "
            f"{gate_reasons(item)}"
        )
    if not preview.selected:
        _say(NOTHING_TO_REFINE)
        return False
    _say(f"Replaced before sending: {replaced_text(preview)}")
    if withheld := withheld_text(preview):
        _say(withheld)
    _say(
        f"Estimated cost with {preview.model}: about ${preview.estimated_usd:.4f} for "
        f"~{preview.input_tokens:,} input tokens; at most ${preview.ceiling_usd:.4f} "
        f"({cap_text(preview)})."
    )
    if preview.cache_note:
        _say(preview.cache_note)
    if preview.over_budget:
        _say(f"Nothing was sent: {preview.over_budget} (--max-cost)")
        return True  # refine() sends nothing and records why
    if costs_more := costs_more_text(preview):
        _say(f"Note: {costs_more}")
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
        if overspend := overspend_text(spend):
            _say(f"Note: {overspend}")
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
        if unusable := unusable_text(record):
            _say(f"Warning: {name}: {unusable}")
        if record.kept == "refined":
            choose(run, index, "refined", store, passages=preview.passages)
    return not preview.over_budget
