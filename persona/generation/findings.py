"""Findings from one model call (a chunk of the data, or a merge of findings), repaired until
one is usable."""

from __future__ import annotations

from collections.abc import Generator, Sequence

from persona.core.errors import GenerationError
from persona.core.progress import Progress
from persona.generation import prompts
from persona.generation.answers import read_items
from persona.generation.calls import call, opening
from persona.generation.references import FINDINGS_SCHEMA, Finding, participants_of, with_ids
from persona.generation.state import RunState


def ask_findings(
    run: RunState,
    prompt: str,
    allowed: Sequence[str],
    limit: int,
    label: str,
    *,
    calibrate: bool = True,
) -> Generator[Progress, None, list[Finding]]:
    """Findings from one call (a chunk or a merge), with repairs when none is usable."""
    max_repairs = run.request.max_repairs
    schema = with_ids(
        FINDINGS_SCHEMA, allowed, enum=run.engine.capabilities.schema_enum, items=limit
    )
    permitted = set(allowed)
    base = opening(prompt)
    messages = base
    text = ""
    for attempt in range(max_repairs + 1):
        title = label + (f" (repair {attempt} of {max_repairs})" if attempt else "")
        text, cut = yield from call(
            run, messages, schema, run.plan.findings_tokens or 1200, title, calibrate=calibrate
        )
        answer = read_items(text, Finding, "findings")
        kept: list[Finding] = []
        for finding in answer.items[:limit]:
            ids = [i.strip().upper() for i in finding.passages]
            known = [i for i in dict.fromkeys(ids) if i in permitted]
            run.dropped(len(ids) - len(known))
            if known:
                who = ", ".join(participants_of(known, run.by_id))
                kept.append(finding.model_copy(update={"passages": known, "participant": who}))
        if kept or (answer.readable and not answer.problems and answer.complete):
            return kept
        problems = answer.problems or ["no finding cites a passage ID from the data"]
        if cut:
            problems.insert(0, cut)
        run.keep_answer(text)
        messages = [
            *base,
            {
                "role": "user",
                "content": prompts.repair_message("\n".join(problems[:12]), 0, [], "findings"),
            },
        ]
    raise GenerationError(
        f"The model did not give valid findings after {max_repairs + 1} tries.",
        raw=text,
    )
