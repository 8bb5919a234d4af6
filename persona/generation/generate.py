"""Ask the local model for personas: structured output, validation, bounded repair.

`Generation.run()` yields `Progress` events (steps and streamed text) and leaves the
outcome in `Generation.result`. Large corpora go through findings (map) → personas (reduce).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from persona.core.documents import Passage
from persona.core.engine_settings import MAX_PARALLEL
from persona.core.errors import GenerationError, InputError
from persona.core.progress import Progress
from persona.core.schema import Persona, PersonaSet, llm_json_schema
from persona.core.tokens import estimate_tokens
from persona.engines.base import ChatOptions, Engine, Usage
from persona.generation import prompts
from persona.generation.distinct import distinctness_problems, keep_distinct
from persona.generation.planner import SAFETY, Plan, num_ctx_for, plan

M = TypeVar("M", bound=BaseModel)

DEFAULT_CONTEXT_CAP = 32768
"""Largest ``num_ctx`` Persona asks for unless told otherwise (memory grows with context)."""
FALLBACK_CONTEXT = 4096
"""Context assumed when Ollama does not report one (its own default on most machines)."""
MAX_MERGE_ROUNDS = 4
FINDING_TOKENS = 70
"""About how many tokens one finding takes in a prompt."""
MIN_FINDINGS = 3


@dataclass(frozen=True)
class GenerationRequest:
    """What the user asked for."""

    model: str
    count: int = 3
    context: str = ""
    temperature: float = 0.4
    seed: int | None = None
    max_repairs: int = 2
    context_cap: int = DEFAULT_CONTEXT_CAP
    parallel: int = 1
    """Chunk requests sent at once in the map phase (the "Parallel requests" setting)."""
    language: str = ""
    """The language personas are written in (its English name); empty: not specified."""

    def __post_init__(self) -> None:
        if not 1 <= self.parallel <= MAX_PARALLEL:
            raise InputError(f"Parallel requests must be between 1 and {MAX_PARALLEL}.")
        if not 1 <= self.count <= 10:
            raise InputError("Ask for between 1 and 10 personas.")
        if not 0 <= self.temperature <= 2:
            raise InputError("Temperature must be between 0 and 2.")
        if not self.model.strip():
            raise InputError("Choose a model first.")


@dataclass
class GenerationResult:
    personas: list[Persona]
    plan: Plan
    warnings: list[str] = field(default_factory=list)
    raw_answers: list[str] = field(default_factory=list)
    calls: int = 0
    prompt_tokens: int = 0
    answer_tokens: int = 0
    seconds: float = 0.0
    """Wall time spent in model calls."""
    answer_seconds: float = 0.0
    """Of which writing answers, where the engine reports it."""


def context_limit(engine: Engine, model: str, cap: int = DEFAULT_CONTEXT_CAP) -> int:
    """The largest context to use with ``model``: its trained maximum, within ``cap``."""
    return min(engine.describe(model).context_length or FALLBACK_CONTEXT, cap)


def _overhead(system: str, extra: str) -> int:
    """Prompt tokens around the data. The ``format`` schema constrains decoding; it is not
    part of the prompt, so it costs no context."""
    return estimate_tokens(system) + estimate_tokens(extra)


def make_plan(engine: Engine, passages: Sequence[Passage], request: GenerationRequest) -> Plan:
    """Read the model's context from the engine and plan the calls (before anything runs)."""
    limit = context_limit(engine, request.model, request.context_cap)
    return plan(
        passages,
        count=request.count,
        context_limit=limit,
        prompt_overhead=_overhead(
            prompts.PERSONAS_SYSTEM,
            prompts.personas_prompt([], request.count, request.context, request.language),
        ),
        findings_overhead=_overhead(
            prompts.FINDINGS_SYSTEM,
            prompts.findings_prompt([], request.context, request.language),
        ),
    )


PERSONA_SCHEMA = llm_json_schema(PersonaSet)
FINDINGS_SCHEMA = llm_json_schema(prompts.Findings)


class Generation:
    """One run of the model over the research passages."""

    def __init__(
        self,
        engine: Engine,
        passages: Sequence[Passage],
        request: GenerationRequest,
        plan: Plan | None = None,
    ) -> None:
        self.engine = engine
        self.passages = list(passages)
        self.request = request
        self.plan = plan or make_plan(engine, self.passages, request)
        self.result = GenerationResult(personas=[], plan=self.plan)

    def run(self) -> Iterator[Progress]:
        """Yield progress while generating; the personas end up in ``self.result``."""
        plan = self.plan
        yield Progress("plan", plan.describe(), fraction=0.0)
        if plan.mode == "single":
            prompt = prompts.personas_prompt(
                plan.chunks[0], self.request.count, self.request.context, self.request.language
            )
            answer = yield from self._ask(
                prompts.PERSONAS_SYSTEM.format(count=self.request.count),
                prompt,
                PersonaSet,
                PERSONA_SCHEMA,
                "Writing personas",
                step=1,
                check=self._persona_problems,
            )
        else:
            findings = yield from self._map(plan)
            findings = yield from self._condense(findings)
            answer = yield from self._ask(
                prompts.SYNTHESIS_SYSTEM.format(count=self.request.count),
                prompts.synthesis_prompt(
                    findings, self.request.count, self.request.context, self.request.language
                ),
                PersonaSet,
                PERSONA_SCHEMA,
                "Writing personas from the findings",
                step=plan.calls,
                check=self._persona_problems,
            )
        self.result.personas = self._settle(answer.personas)
        yield Progress(
            "personas",
            f"{len(self.result.personas)} personas written",
            fraction=1.0,
        )

    # --- steps ---------------------------------------------------------------

    def _synthesis_room(self) -> int:
        """Tokens the findings may take in the final (synthesis) prompt."""
        overhead = _overhead(prompts.SYNTHESIS_SYSTEM, self.request.context)
        return int((self.plan.context_limit - self.plan.answer_tokens - overhead) / SAFETY)

    def _map(self, plan: Plan) -> Iterator[Progress]:
        findings: list[prompts.Finding] = []
        total = len(plan.chunks)
        # Ask each chunk for as many findings as the synthesis prompt can take, so no
        # merge round (which sends every finding twice) is needed.
        per_chunk = self._synthesis_room() // (total * FINDING_TOKENS)
        limit = max(MIN_FINDINGS, min(prompts.MAX_FINDINGS, per_chunk))
        for index, chunk in enumerate(plan.chunks, start=1):
            where = _span(chunk)
            try:
                answer = yield from self._ask(
                    prompts.FINDINGS_SYSTEM.format(limit=limit),
                    prompts.findings_prompt(chunk, self.request.context, self.request.language),
                    prompts.Findings,
                    FINDINGS_SCHEMA,
                    f"Reading part {index} of {total} ({where})",
                    step=index,
                )
            except GenerationError as exc:
                self.result.warnings.append(
                    f"Part {index} of {total} ({where}) could not be analysed, so the personas "
                    f"do not reflect it: {exc}"
                )
                yield Progress("warning", self.result.warnings[-1])
                continue
            findings.extend(answer.findings)
        if not findings:
            raise GenerationError(
                "The model found nothing usable in any part of the data. Try a larger model.",
                raw="\n\n".join(self.result.raw_answers),
            )
        return findings

    def _condense(self, findings: list[prompts.Finding]) -> Iterator[Progress]:
        """Merge findings until they fit one synthesis prompt."""
        room = self._synthesis_room()
        for round_ in range(1, MAX_MERGE_ROUNDS + 1):
            if estimate_tokens(prompts.format_findings(findings)) <= room:
                return findings
            batches = _batches(findings, room)
            merged: list[prompts.Finding] = []
            for index, batch in enumerate(batches, start=1):
                answer = yield from self._ask(
                    prompts.MERGE_SYSTEM,
                    prompts.merge_prompt(batch),
                    prompts.Findings,
                    FINDINGS_SCHEMA,
                    f"Merging findings, round {round_}, batch {index} of {len(batches)}",
                    step=self.result.calls + 1,
                )
                merged.extend(answer.findings)
            if len(merged) >= len(findings):
                break
            findings = merged
        raise GenerationError(
            f"The findings ({len(findings)}) are too many for this model's context even after "
            "merging. Pick a model with a longer context, or split your study into smaller runs."
        )

    def _ask(
        self,
        system: str,
        prompt: str,
        kind: type[M],
        schema: dict[str, Any],
        label: str,
        *,
        step: int,
        check: Callable[[M], list[str]] | None = None,
    ) -> Iterator[Progress]:
        """One structured call with bounded repair; returns the validated answer."""
        limit = self.plan.context_limit
        base = [{"role": "system", "content": system}, {"role": "user", "content": prompt}]
        messages = base
        room = self.plan.findings_tokens if kind is prompts.Findings else self.plan.answer_tokens
        fraction = (step - 1) / max(self.plan.calls, 1)
        text = ""
        usable: M | None = None  # a valid answer that failed only the extra checks
        for attempt in range(self.request.max_repairs + 1):
            sent = sum(estimate_tokens(m["content"]) for m in messages)
            ctx = num_ctx_for(sent, room, limit)
            title = label + (
                f" (repair {attempt} of {self.request.max_repairs})" if attempt else ""
            )
            yield Progress("generate", title, fraction=fraction)
            predict = max(room, ctx - sent)
            text, cut = yield from self._call(messages, schema, ctx, predict, title, fraction)
            answer, problems = parse_answer(text, kind)
            if answer is not None and check is not None:
                problems = check(answer)
                usable = answer if problems else usable
            if answer is not None and not problems:
                return answer
            if cut:
                problems.insert(
                    0,
                    f"the answer was cut off at the {predict:,}-token limit: keep every text "
                    "short (one sentence per claim, short quotes)",
                )
            self.result.raw_answers.append(text)
            yield Progress("repair", f"The answer was not usable: {problems[0]}", fraction=fraction)
            repair = {"role": "user", "content": prompts.repair_message("\n".join(problems[:12]))}
            messages = [*base, {"role": "assistant", "content": text}, repair]
            if num_ctx_for(sent + estimate_tokens(text) + 100, room, limit) >= limit:
                messages = [*base, repair]  # the failed answer does not fit: describe it only
        if usable is not None and check is not None:
            self.result.warnings.extend(check(usable))
            return usable
        raise GenerationError(
            f"The model did not give valid {'personas' if kind is PersonaSet else 'findings'} "
            f"after {self.request.max_repairs + 1} tries. Try again with another seed, a lower "
            "temperature or a larger model. The last answer is kept for inspection.",
            raw=text,
        )

    def _call(
        self,
        messages: list[dict[str, str]],
        schema: dict[str, Any],
        num_ctx: int,
        num_predict: int,
        title: str,
        fraction: float,
    ) -> Iterator[Progress]:
        """Stream one chat call; returns its text and whether it hit the token limit.

        The engine refuses an answer to a prompt it cut at the context limit."""
        options = ChatOptions(
            num_ctx=num_ctx,
            temperature=self.request.temperature,
            seed=self.request.seed,
            max_tokens=num_predict,
        )
        text = ""
        usage = Usage()
        self.result.calls += 1
        try:
            for piece in self.engine.chat(
                self.request.model, messages, schema=schema, options=options
            ):
                if isinstance(piece, Usage):
                    usage = piece
                else:
                    text += piece
                    yield Progress("generate", title, fraction=fraction, text=piece)
        except GenerationError as exc:
            exc.raw = exc.raw or text
            raise
        estimate = sum(estimate_tokens(m["content"]) for m in messages)
        self.result.prompt_tokens += usage.prompt_tokens or estimate
        self.result.answer_tokens += usage.output_tokens or 0
        self.result.seconds += usage.seconds or 0.0
        self.result.answer_seconds += usage.output_seconds or 0.0
        return text, usage.stop_reason == "length"

    # --- checks --------------------------------------------------------------

    def _persona_problems(self, answer: PersonaSet) -> list[str]:
        problems = distinctness_problems(answer.personas)
        wanted = self.request.count
        if len(answer.personas) < wanted:
            problems.append(f"there are {len(answer.personas)} personas; write exactly {wanted}")
        return problems

    def _settle(self, personas: list[Persona]) -> list[Persona]:
        kept, dropped = keep_distinct(personas)
        if dropped:
            names = ", ".join(p.name for p in dropped)
            self.result.warnings.append(
                f"Left out {len(dropped)} persona(s) that repeated another ({names})."
            )
        if len(kept) > self.request.count:
            extra = ", ".join(p.name for p in kept[self.request.count :])
            self.result.warnings.append(
                f"The model wrote {len(kept)} personas for {self.request.count} asked; "
                f"kept the first {self.request.count} (left out: {extra})."
            )
            kept = kept[: self.request.count]
        elif len(kept) < self.request.count:
            self.result.warnings.append(
                f"The model wrote {len(kept)} distinct personas of the {self.request.count} asked."
            )
        return kept


_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$", re.IGNORECASE)


def parse_answer(text: str, kind: type[M]) -> tuple[M | None, list[str]]:
    """Validate a model answer; returns (answer, []) or (None, readable problems)."""
    cleaned = _FENCE.sub("", text.strip())
    start, end = cleaned.find("{"), cleaned.rfind("}")
    if start < 0 or end <= start:
        return None, ["the answer is not a JSON object"]
    try:
        return kind.model_validate_json(cleaned[start : end + 1]), []
    except ValidationError as exc:
        return None, [_describe(error) for error in exc.errors()]


def _describe(error: Any) -> str:
    where = ".".join(str(part) for part in error.get("loc", ())) or "answer"
    return f"{where}: {error.get('msg', 'invalid')}"


def _span(chunk: Sequence[Passage]) -> str:
    first, last = chunk[0], chunk[-1]
    if first.source == last.source:
        return f"{first.source}, {first.locator} to {last.locator}"
    return f"{first.source} {first.locator} to {last.source} {last.locator}"


def _batches(findings: Sequence[prompts.Finding], room: int) -> list[list[prompts.Finding]]:
    batches: list[list[prompts.Finding]] = [[]]
    used = 0
    for finding in findings:
        cost = estimate_tokens(prompts.format_findings([finding]))
        if batches[-1] and used + cost > room:
            batches.append([])
            used = 0
        batches[-1].append(finding)
        used += cost
    return batches
