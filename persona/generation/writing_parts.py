"""A small model's personas, written part by part (:mod:`persona.generation.parts`): one
group of participants each, an identity call, then one call per claim section."""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar

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
    PART_TOKENS,
    Identity,
    assembled,
    claim_problems,
    claims_schema,
    identity_problems,
    identity_schema,
    offered_names,
    participant_groups,
    role_pattern,
    section_passages,
    with_context,
)
from persona.generation.references import CitedClaim, resolve
from persona.generation.state import RunState
from persona.generation.writing import Written, hand_over

T = TypeVar("T")
SAMPLES = 3
"""Most answers asked for one part of a persona (the first and two more samples)."""


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
    read: Sequence[Passage],
    personas: Written,
    names: str,
    number: int,
) -> Generator[Progress, None, Persona]:
    """One persona from ``group`` (its citable passages): an identity call reading all of
    them with the context lines of their files (``read``), then one call per claim section;
    a part that breaks a rule is sampled again (:func:`_sampled`); checked like any other
    persona."""
    request = run.request
    earlier = [*personas.kept, *personas.unusable]
    offered = offered_names(run.names, [p.name for p in earlier], start=number * OFFERED)
    ids = [p.id for p in group]
    enum = run.engine.capabilities.schema_enum
    written = [f"{p.name} ({p.role})" for p in earlier]
    label = f"Writing persona {number + 1} of {request.count}"
    claims, language = PART_CLAIMS, request.language
    prompt = prompts.identity_prompt(
        read,
        offered,
        request.context,
        written,
        names=names,
        claims=claims,
        language=language,
    )

    def identity_read(text: str) -> tuple[Any, list[str]]:
        answer, problems = read_object(text, Identity)
        if answer is None:
            return None, problems
        return answer, identity_problems(answer, offered, run.names)

    identity, problems, _ = yield from _sampled(
        run,
        prompt,
        identity_schema(
            offered,
            ids,
            enum=enum,
            language=language,
            role=role_pattern(group, run.names),
        ),
        f"{label}: name and role",
        number,
        identity_read,
    )
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

        best, problems, text = yield from _sampled(
            run,
            prompt,
            claims_schema(section, list(by_id), claims, enum=enum, language=language),
            f"{label}: {prompts.SECTION_NAMES[section]}",
            number,
            partial(
                _read_claims,
                section=section,
                shown=by_id,
                said=list(said),
                taken=(identity.name, identity.role),
            ),
        )
        if best is None:
            raise GenerationError(
                f"The model wrote no {prompts.SECTION_NAMES[section]} for {persona_label}.",
                raw=text,
            )
        sections[section] = best
        said += [c.text for c in best]
    persona, found = resolve(assembled(identity, sections), run.by_id, ids)
    run.dropped(found.unknown_ids)
    reasons = degeneracy(persona, run.names) + clashes(persona, personas.kept)
    return persona.model_copy(update={"unusable": reasons})


def _read_claims(
    text: str,
    *,
    section: str,
    shown: Mapping[str, Passage],
    said: Sequence[str],
    taken: Sequence[str],
) -> tuple[list[CitedClaim] | None, list[str]]:
    """One section's claims in ``text`` (None when there are none) and what is wrong with
    them (:func:`~persona.generation.parts.claim_problems`)."""
    answer = read_items(text, CitedClaim, section)
    items = answer.items[:PART_CLAIMS]
    wrong = answer.problems + claim_problems(items, shown, said, taken)
    if not items:
        return None, [f"write 1 to {PART_CLAIMS} claims", *wrong]
    return items, wrong


SAMPLE_SEED_STEP = 1000
"""A part sampled again uses the persona's seed plus this (times the attempt): another answer
to the same prompt, which the engine has already read."""
SAMPLE_WARMER = 0.15
"""Each new sample is this much warmer (up to :data:`WARMEST`): at the default 0.4, SmolLM2
wrote the same role three times over with three seeds."""
WARMEST = 0.7
"""At 1.0 SmolLM2-135M writes gibberish in another language."""


def sample_temperature(first: float, attempt: int) -> float:
    """The temperature of sample ``attempt`` (0 for the first) of a part asked at ``first``."""
    return max(first, min(WARMEST, first + attempt * SAMPLE_WARMER))


def _sampled(
    run: RunState,
    prompt: str,
    schema: dict[str, Any],
    title: str,
    number: int,
    read: Callable[[str], tuple[T | None, list[str]]],
) -> Generator[Progress, None, tuple[T | None, list[str], str]]:
    """One part of a persona: ``prompt`` answered, and while the answer breaks a rule
    (``read`` gives it and what is wrong with it) sampled again with another seed, up to
    ``max_repairs`` (at most :data:`SAMPLES` - 1) times, each time with another seed and
    warmer; the answer with the fewest problems is kept. The rules are in the prompt: a tiny
    model told its answer back copies it (seen with SmolLM2-135M: the same answer again, or
    the words of the repair as its role), while another sample of the same prompt costs only
    its answer (the prompt is cached)."""
    best: tuple[T | None, list[str], str] = (None, [], "")
    messages = opening(prompt)
    first = run.request.temperature
    for attempt in range(min(run.request.max_repairs, SAMPLES - 1) + 1):
        text, cut = yield from call(
            run,
            messages,
            schema,
            run.plan.answer_tokens,
            title + (f" (sample {attempt + 1})" if attempt else ""),
            seed=run.seed(number + attempt * SAMPLE_SEED_STEP),
            temperature=sample_temperature(first, attempt),
            most=PART_TOKENS,
        )
        answer, problems = read(text)
        problems = [cut, *problems] if cut else problems
        if answer is not None and (best[0] is None or len(problems) < len(best[1])):
            best = (answer, problems, text)
        elif best[0] is None:
            best = (None, problems, text)
        if answer is not None and not problems:
            break
        run.keep_answer(text)
    run.tracker.step_done()
    return best
