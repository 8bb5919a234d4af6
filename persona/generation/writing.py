"""Persona writing: the persona calls of a run, each repaired for the personas that are invalid,
degenerate or repeat another, and the personas handed over the moment they are kept."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial

from persona.core.errors import GenerationError, PersonaError
from persona.core.progress import Progress
from persona.core.schema import Persona
from persona.generation import prompts
from persona.generation.answers import read_items
from persona.generation.calls import call, message_tokens, opening
from persona.generation.concurrent import Step, run_steps
from persona.generation.degenerate import degeneracy
from persona.generation.distinct import clashes
from persona.generation.planner import num_ctx_for
from persona.generation.references import DRAFT_SCHEMA, DraftPersona, resolve, with_ids
from persona.generation.state import RunState
from persona.generation.strategy import shaped

PromptFor = Callable[[int, int, Sequence[str]], str]
"""``prompt_for(call, count, written)``: the prompt of call ``call`` (from 0) asking for
``count`` personas, told who is ``written``."""
AllowedFor = Callable[[int], Sequence[str]]
"""``allowed_for(call)``: the passage IDs that call may cite."""


@dataclass
class Outcome:
    """A persona call's usable result."""

    personas: list[Persona] = field(default_factory=list)
    unusable: list[Persona] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)
    """Names of personas left out because they repeated one already kept."""
    warnings: list[str] = field(default_factory=list)
    """What the call's answers needed (kept apart so concurrent calls report in order)."""


@dataclass
class Written:
    """The personas of a run so far, in the order they are handed over."""

    kept: list[Persona] = field(default_factory=list)
    unusable: list[Persona] = field(default_factory=list)
    errors: list[PersonaError] = field(default_factory=list)
    """Persona calls that failed (their personas are missing)."""


def write_personas(
    run: RunState, prompt_for: PromptFor, allowed_for: AllowedFor, *, independent: bool
) -> Generator[Progress, None, list[Persona]]:
    """All personas asked for, ``per_call`` at a time; each persona is handed over (a
    ``persona`` event) the moment it is kept.

    ``independent`` calls (each from its own share of the findings) run at once, up to
    ``parallel``; a persona that repeats one of an earlier call is asked for again, told of
    all the others (up to ``max_repairs`` times). Other calls (the same data for each) run
    one after another, each told who those before it wrote.
    """
    count = run.request.count
    per_call = max(1, run.plan.per_call)
    calls = -(-count // per_call)
    personas = Written()
    if independent:
        asks = [(n, min(per_call, count - n * per_call)) for n in range(calls)]
        for again in range(run.request.max_repairs + 1):
            lost = yield from _round(
                run, prompt_for, allowed_for, asks, personas, calls, again=again
            )
            asks = [(n, missing) for n, missing in sorted(lost.items()) if missing]
            if not asks:
                break
            run.tracker.plan_changed(len(asks))
    else:
        for number in range(calls):
            want = min(per_call, count - len(personas.kept))
            if want <= 0:
                break
            yield from _round(
                run, prompt_for, allowed_for, [(number, want)], personas, calls, again=0
            )
    return (yield from hand_over(run, personas))


def hand_over(run: RunState, personas: Written) -> Generator[Progress, None, list[Persona]]:
    """The personas kept, then as many unusable ones as are missing (reported); an error
    when there is none at all."""
    count = run.request.count
    kept = personas.kept
    if not kept and not personas.unusable:
        if personas.errors:
            raise personas.errors[0]
        raise GenerationError(
            f"The model did not give valid personas after {run.request.max_repairs + 1} "
            "tries. Try again with another seed, a lower temperature or a larger model. "
            "The last answer is kept for inspection.",
            raw=run.result.raw_answers[-1] if run.result.raw_answers else "",
        )
    if len(kept) < count:
        run.result.warnings.append(
            f"The model wrote {len(kept)} usable persona(s) of the {count} asked."
        )
    shown = personas.unusable[: count - len(kept)]
    for number, persona in enumerate(shown, start=len(kept) + 1):
        run.result.warnings.append(
            f"{persona.name} is marked unusable: {'; '.join(persona.unusable)}."
        )
        yield run.persona_ready(persona, number)
    return kept + shown


def _round(
    run: RunState,
    prompt_for: PromptFor,
    allowed_for: AllowedFor,
    asks: Sequence[tuple[int, int]],
    personas: Written,
    calls: int,
    *,
    again: int,
) -> Generator[Progress, None, dict[int, int]]:
    """Persona calls ``asks`` (call, personas wanted) at once, each told who ``personas``
    kept before; their personas are kept in call order, as soon as a call and those
    before it are done. Returns per call how many of its personas repeated one of an
    earlier call's: left out, and asked for ``again`` (the round: from 0) until the
    repairs run out, when they are reported."""
    existing = list(personas.kept)
    written = [f"{p.name} ({p.role})" for p in existing]
    steps: list[Step[Outcome]] = []
    for number, want in asks:
        label = "Writing personas" + (f" ({number + 1} of {calls})" if calls > 1 else "")
        steps.append(
            partial(
                _ask_personas,
                run,
                prompt_for(number, want, written),
                allowed_for(number),
                want,
                existing,
                label + (", again for one that repeated another" if again else ""),
                seed=run.seed(again * calls + number),
                calibrate=len(asks) == 1,  # else the order they finish in would count
            )
        )
    lost: dict[int, int] = {}

    def kept_in_order(index: int, outcome: Outcome | PersonaError) -> Iterator[Progress]:
        number, want = asks[index]
        run.tracker.step_done()
        if isinstance(outcome, PersonaError):
            personas.errors.append(outcome)
            if isinstance(outcome, GenerationError) and outcome.raw:
                run.result.raw_answers.append(outcome.raw)
            failure = (
                f"Persona call {number + 1} of {calls} failed, so its {want} persona(s) are "
                f"missing: {outcome}"
            )
            run.result.warnings.append(failure)
            yield run.event("warning", failure)
            return
        run.result.warnings.extend(outcome.warnings)
        repeats = []  # of a persona an earlier call of this round wrote
        for persona in outcome.personas:
            if clashes(persona, personas.kept):
                repeats.append(persona.name)
                continue
            personas.kept.append(persona)
            yield run.persona_ready(persona, len(personas.kept))
        personas.unusable.extend(outcome.unusable)
        lost[number] = len(repeats)
        left_out = list(outcome.repeated) if len(outcome.personas) < want else []
        if again == run.request.max_repairs:  # else they are asked for again
            left_out += repeats
        if left_out:
            run.result.warnings.append(
                f"Left out {len(left_out)} persona(s) that repeated another "
                f"({', '.join(left_out)})."
            )

    yield from run_steps(steps, run.request.parallel, run.cancel, kept_in_order)
    return lost


def _ask_personas(
    run: RunState,
    prompt: str,
    allowed: Sequence[str],
    want: int,
    existing: Sequence[Persona],
    label: str,
    *,
    seed: int | None,
    calibrate: bool,
) -> Generator[Progress, None, Outcome]:
    """One persona call with repairs for the invalid or degenerate personas only (thread-
    safe: it may run beside other calls)."""
    max_repairs = run.request.max_repairs
    base = opening(prompt)
    messages = base
    outcome = Outcome()
    text = ""
    for attempt in range(max_repairs + 1):
        schema = with_ids(
            shaped(DRAFT_SCHEMA, run.strategy),
            allowed,
            enum=run.engine.capabilities.schema_enum,
            items=want - len(outcome.personas),
        )
        title = label + (f" (repair {attempt} of {max_repairs})" if attempt else "")
        room = run.plan.answer_tokens
        text, cut = yield from call(
            run, messages, schema, room, title, seed=seed, calibrate=calibrate
        )
        answer = read_items(text, DraftPersona, "personas")
        problems = list(answer.problems)
        outcome.unusable, outcome.repeated = [], []
        if answer.trimmed:
            outcome.warnings.append("Trimmed over-long text: " + "; ".join(answer.trimmed))
        for draft in answer.items:
            persona, found = resolve(draft, run.by_id, allowed)
            run.dropped(found.unknown_ids)
            if found.span_fallbacks:
                outcome.warnings.append(
                    f"{persona.name}: the quote's span was not in the passage it cited, so "
                    "the whole passage is quoted."
                )
            reasons = degeneracy(persona, run.names)
            repeats = clashes(persona, [*existing, *outcome.personas])
            if reasons:
                problems.append(f"persona {persona.name}: " + "; ".join(reasons))
                outcome.unusable.append(persona.model_copy(update={"unusable": reasons}))
            elif repeats:
                problems.append(f"persona {persona.name}: " + "; ".join(repeats))
                outcome.repeated.append(persona.name)
            elif len(outcome.personas) < want:
                outcome.personas.append(persona)
            else:
                outcome.warnings.append(
                    f"The model wrote more personas than asked; left out {persona.name}."
                )
        missing = want - len(outcome.personas)
        if missing <= 0:
            return outcome
        if cut:
            problems.insert(0, cut)
        if not problems:
            problems.append(f"there are {len(outcome.personas)} personas; write {want}")
        run.keep_answer(text)
        yield run.event("repair", f"The answer was not fully usable: {problems[0]}")
        kept_names = [p.name for p in [*existing, *outcome.personas]]
        repair = {
            "role": "user",
            "content": prompts.repair_message(
                "\n".join(f"- {p}" for p in problems[:12]), missing, kept_names, "personas"
            ),
        }
        shown = text if len(text) < 4000 and not cut else text[:1500]
        messages = [*base, {"role": "assistant", "content": shown}, repair]
        limit = run.plan.context_limit
        if num_ctx_for(message_tokens(messages), room, limit) >= limit:
            messages = [*base, repair]  # the failed answer does not fit: describe it only
    return outcome
