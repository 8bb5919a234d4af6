"""A small model's personas, written part by part (:mod:`persona.generation.parts`): one
group of participants each, an identity call, then one call per claim section."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

from persona.core.documents import Passage
from persona.core.errors import GenerationError
from persona.core.progress import Progress
from persona.core.schema import CLAIM_SECTIONS, Persona
from persona.generation import prompts
from persona.generation.answers import read_items, read_object
from persona.generation.calls import call, opening
from persona.generation.degenerate import degeneracy
from persona.generation.distinct import clashes
from persona.generation.parts import (
    OFFERED,
    PART_CLAIMS,
    Identity,
    assembled,
    claim_problems,
    claims_schema,
    identity_problems,
    identity_schema,
    offered_names,
    participant_groups,
    section_passages,
    with_context,
)
from persona.generation.references import CitedClaim, resolve
from persona.generation.state import RunState
from persona.generation.writing import Written, hand_over


def write_by_parts(
    run: RunState, chunk: Sequence[Passage], names: str
) -> Generator[Progress, None, list[Persona]]:
    """A small model's personas, one group of participants each, part by part; each persona
    is handed over the moment it is kept, and those kept stay kept whatever a later call
    does."""
    groups = participant_groups(chunk, run.request.count)
    run.tracker.plan_changed((len(groups) - run.request.count) * run.plan.parts)
    personas = Written()
    for number, group in enumerate(groups):
        try:
            persona = yield from _persona_by_parts(
                run, group, with_context(group, chunk), personas, names, number
            )
        except GenerationError as exc:
            personas.errors.append(exc)
            failure = f"Persona {number + 1} of {len(groups)} failed: {exc}"
            run.result.warnings.append(failure)
            yield run.event("warning", failure)
            continue
        if persona.unusable:
            personas.unusable.append(persona)
        else:
            personas.kept.append(persona)
            yield run.persona_ready(persona, len(personas.kept))
    return (yield from hand_over(run, personas))


def _persona_by_parts(
    run: RunState,
    group: Sequence[Passage],
    shown: Sequence[Passage],
    personas: Written,
    names: str,
    number: int,
) -> Generator[Progress, None, Persona]:
    """One persona from ``group`` (its citable passages; ``shown`` with their context): an
    identity call, then one call per claim section (each repaired once when it breaks a
    rule); checked like any other persona."""
    request = run.request
    earlier = [*personas.kept, *personas.unusable]
    offered = offered_names(run.names, [p.name for p in earlier], start=number * OFFERED)
    ids = [p.id for p in group]
    enum = run.engine.capabilities.schema_enum
    written = [f"{p.name} ({p.role})" for p in earlier]
    label = f"Writing persona {number + 1} of {request.count}"
    claims, language = PART_CLAIMS, request.language
    prompt = prompts.identity_prompt(
        shown,
        offered,
        request.context,
        written,
        names=names,
        claims=claims,
        language=language,
    )
    identity: Any = None
    problems: list[str] = []
    messages = opening(prompt)
    for attempt in range(min(request.max_repairs, 1) + 1):
        text, cut = yield from call(
            run,
            messages,
            identity_schema(offered, ids, enum=enum),
            run.plan.answer_tokens,
            f"{label}: name and role" + (f" (repair {attempt})" if attempt else ""),
            seed=run.seed(number),
        )
        run.tracker.step_done()
        answer, problems = read_object(text, Identity)
        if answer is not None:
            identity = answer  # the latest readable one: a repair fixes what it told
            problems = identity_problems(answer, offered, run.names)
            if not problems:
                break
        run.result.raw_answers.append(text)
        messages = [
            *opening(prompt),
            {
                "role": "user",
                "content": prompts.repair_message(
                    "\n".join(f"- {p}" for p in ([cut] if cut else []) + problems),
                    0,
                    [],
                    "persona",
                ),
            },
        ]
    if identity is None:
        raise GenerationError(
            "The model did not give a valid name and role: " + "; ".join(problems[:3]),
            raw=run.result.raw_answers[-1] if run.result.raw_answers else "",
        )
    persona_label = f"{identity.name} ({identity.role})"
    sections: dict[str, list[CitedClaim]] = {}
    said: list[str] = []
    for section, cited in zip(CLAIM_SECTIONS, section_passages(group), strict=True):
        by_id = {p.id: p for p in cited}
        prompt = prompts.claims_prompt(
            cited,
            section,
            persona_label,
            request.context,
            names=names,
            claims=claims,
            language=language,
        )
        messages = opening(prompt)
        best: tuple[int, list[CitedClaim]] | None = None
        for attempt in range(min(request.max_repairs, 1) + 1):
            text, cut = yield from call(
                run,
                messages,
                claims_schema(section, list(by_id), claims, enum=enum),
                run.plan.answer_tokens,
                f"{label}: {prompts.SECTION_NAMES[section]}"
                + (f" (repair {attempt})" if attempt else ""),
                seed=run.seed(number),
            )
            answer = read_items(text, CitedClaim, section)
            written_claims = answer.items[:claims]
            wrong = answer.problems + claim_problems(
                written_claims, by_id, said, [identity.name, identity.role]
            )
            if not written_claims:
                wrong.insert(0, f"write 1 to {claims} claims")
            if cut:
                wrong.insert(0, cut)
            if written_claims and (best is None or len(wrong) < best[0]):
                best = (len(wrong), written_claims)
            if not wrong:
                break
            run.result.raw_answers.append(text)
            messages = [
                *opening(prompt),
                {"role": "assistant", "content": text[:1500]},
                {
                    "role": "user",
                    "content": prompts.repair_message(
                        "\n".join(f"- {p}" for p in wrong[:12]), 0, [], section
                    ),
                },
            ]
        run.tracker.step_done()
        if best is None:
            raise GenerationError(
                f"The model wrote no {prompts.SECTION_NAMES[section]} for {persona_label}.",
                raw=text,
            )
        sections[section] = best[1]
        said += [c.text for c in best[1]]
    persona, found = resolve(assembled(identity, sections), run.by_id, ids)
    run.dropped(found.unknown_ids)
    reasons = degeneracy(persona, run.names) + clashes(persona, personas.kept)
    return persona.model_copy(update={"unusable": reasons})
