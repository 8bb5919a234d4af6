"""Fit research data into the model's context: one prompt, or chunks for a map-reduce.

Ollama silently cuts prompts longer than ``num_ctx``, so every call gets a ``num_ctx``
sized for its prompt plus its answer, and a corpus too large for one prompt is split —
never trimmed. Passages too long for a chunk are split into parts, not dropped.

A map-reduce always converges, for any context of at least :data:`MIN_CONTEXT` tokens and any
study size: each finding's size is bounded (:data:`FINDING_CHARS`, trimmed to
``finding_tokens``), each merge call returns at most half of its batch (the schema says so),
so every round strictly shrinks the findings, and the number of merge calls is counted up
front from those bounds (:attr:`Plan.merge_calls` is a ceiling, never exceeded).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from persona.core.documents import Passage
from persona.core.errors import InputError
from persona.core.schema import CLAIM_SECTIONS
from persona.core.tokens import MIN_CONTEXT, estimate_tokens
from persona.engines.base import Engine
from persona.generation import prompts
from persona.generation.chunking import chunk_passages, passage_tokens
from persona.generation.prompts import format_line
from persona.generation.references import participant_names
from persona.generation.request import GenerationRequest
from persona.generation.strategy import strategy_for
from persona.history.speeds import ModelSpeed

SAFETY = 1.15
"""Token estimates are heuristics: size contexts this much larger than estimated."""
PERSONA_ANSWER_TOKENS = 900
"""Room for one persona whose quotes are typed out (the frontier model's refinement)."""
REFERENCED_PERSONA_TOKENS = 400
"""Room for one persona that cites passage IDs instead of copying quotes."""
FINDINGS_ANSWER_TOKENS = 1200
"""Most room one chunk's findings may take in the model's answer."""
FINDING_ANSWER_OVERHEAD = 30
"""JSON keys and punctuation around one finding in an answer."""
FINDING_CHARS = 250
"""Most characters of one finding line: kind, participant, statement (160), three IDs."""
MAX_FINDINGS = 12
"""Most findings one chunk is asked for."""
MIN_FINDINGS = 3
MIN_SYNTHESIS_FINDINGS = 6
"""A persona call should see at least this many findings; fewer personas per call if not."""
FALLBACK_CONTEXT = 4096
"""Context assumed when the engine does not report one (Ollama's own default on most machines)."""
EXPECTED_PERSONA_TOKENS = 350
"""Output tokens one persona by reference usually takes (for duration estimates)."""
EXPECTED_FINDING_TOKENS = 45
_ROUND = 256


@dataclass(frozen=True)
class Plan:
    """How a corpus is sent to the model; ``describe()`` tells the user before it runs."""

    mode: Literal["single", "map-reduce"]
    chunks: tuple[tuple[Passage, ...], ...]
    num_ctx: int
    """Context for each chunk's call (the persona call in single mode)."""
    answer_tokens: int
    """Tokens reserved for one personas answer."""
    findings_tokens: int
    """Tokens reserved for one chunk's findings (map-reduce)."""
    corpus_tokens: int
    context_limit: int
    split_passages: int = 0
    """Passages too long for one chunk, sent in parts."""
    count: int = 1
    per_call: int = 1
    """Personas asked for in one call."""
    parts: int = 1
    """Calls per persona call: more when a small model writes each persona part by part
    (:mod:`persona.generation.parts`)."""
    findings_limit: int = 0
    """Most findings asked of one chunk."""
    finding_tokens: int = 0
    """Most tokens one finding line may take (longer statements are trimmed)."""
    synthesis_findings: int = 0
    """Findings the persona calls can take at most (merges happen above this)."""
    merge_batch: int = 0
    """Findings one merge call can take at most."""
    merge_calls: int = 0
    """The most merge calls this plan can need (counted up front)."""
    merge_rounds: int = 0
    estimated_seconds: float | None = None
    """How long the run should take here (see :func:`estimate_text`); None when unknown."""
    estimate_measured: bool = True
    """Whether the estimate rests on the model's measured speed here, not a cautious guess."""

    @property
    def estimate(self) -> str:
        """``About 70 s, going by this model's earlier runs.`` (see :func:`estimate_text`)."""
        return estimate_text(self.estimated_seconds, measured=self.estimate_measured)

    @property
    def persona_calls(self) -> int:
        return -(-self.count // self.per_call) * self.parts

    @property
    def findings_pool(self) -> int:
        """Findings the persona calls take together (map-reduce): with several calls, each
        writes from its own share of the findings (:mod:`persona.generation.groups`)."""
        return findings_pool(self.synthesis_findings, self.persona_calls)

    @property
    def calls(self) -> int:
        """Model calls the plan makes at most, repairs not counted."""
        chunks = len(self.chunks) if self.mode == "map-reduce" else 0
        return chunks + self.merge_calls + self.persona_calls

    @property
    def passages(self) -> int:
        return len({(p.source, p.locator.split(" (part")[0]) for c in self.chunks for p in c})

    def describe(self) -> str:
        tokens = f"~{self.corpus_tokens:,} tokens"
        persona_calls = (
            f"{self.persona_calls} calls for the personas ({self.per_call} per call"
            + (", each from its own share of the findings)" if self.mode == "map-reduce" else ")")
            if self.persona_calls > 1
            else "1 call for the personas"
        )
        duration = f" {self.estimate}" if self.estimate else ""
        if self.mode == "single":
            return (
                f"Your data ({tokens}) fits in one prompt: {persona_calls}, with a "
                f"{self.num_ctx:,}-token context. Nothing is left out.{duration}"
            )
        parts = (
            f" {self.split_passages} very long passage(s) are sent in parts."
            if self.split_passages
            else ""
        )
        merges = (
            f", up to {self.merge_calls} merge call(s) in {self.merge_rounds} round(s)"
            if self.merge_calls
            else ""
        )
        return (
            f"Your data ({tokens}) is larger than one prompt of this model "
            f"({self.context_limit:,} tokens): {len(self.chunks)} chunks, at most {self.calls} "
            f"model calls (findings from each chunk{merges}, then {persona_calls}). "
            f"Nothing is left out.{parts}{duration}"
        )


def estimate_text(seconds: float | None, *, measured: bool = True) -> str:
    """``About 70 s, going by this model's earlier runs.``; a guess says so (the model has not
    run here yet)."""
    if seconds is None:
        return ""
    if seconds < 90:
        amount = f"{max(1, round(seconds))} s"
    elif seconds < 90 * 60:
        amount = f"{round(seconds / 60)} min"
    else:
        amount = f"{seconds / 3600:.1f} h"
    if measured:
        return f"About {amount}, going by this model's earlier runs."
    return (
        f"About {amount} (a cautious guess: this model has not run here yet; the first run "
        "measures its speed)."
    )


def plan(
    engine: Engine,
    passages: Sequence[Passage],
    request: GenerationRequest,
    *,
    speed: ModelSpeed | None = None,
    covered: Iterable[str] = (),
    saved_findings: int = 0,
    factor: float = 1.0,
) -> Plan:
    """Read the model's context from the engine and plan the calls (before anything runs).

    ``covered``: IDs of passages whose ``saved_findings`` findings are already saved (a
    resumed run): only the others are planned into chunks. ``speed`` gives the plan an
    estimated duration.
    """
    limit = context_limit(engine, request.model, request.context_cap)
    strategy = strategy_for(engine.describe(request.model))
    names = prompts.names_clause(participant_names(passages))
    done = set(covered)
    remaining = [p for p in passages if p.id not in done] if done else list(passages)
    context, language = request.context, request.language
    kwargs: dict[str, Any] = {
        "count": request.count,
        "context_limit": limit,
        "prompt_overhead": prompt_overhead(
            prompts.personas_prompt(
                [], request.count, context, names=names, claims=strategy.claims, language=language
            )
        ),
        "findings_overhead": prompt_overhead(
            prompts.findings_prompt([], context, limit=12, language=language)
        ),
        "synthesis_overhead": prompt_overhead(
            prompts.synthesis_prompt(
                [], request.count, context, names=names, claims=strategy.claims, language=language
            )
        ),
        "merge_overhead": prompt_overhead(
            prompts.merge_prompt([], context, limit=12, language=language)
        ),
        "per_call": request.per_call or strategy.per_call,
        "factor": factor,
    }
    if done:
        # Findings exist (a resumed run): a map-reduce over the passages left.
        result = fit(passages, **kwargs, force_map=True)
        chunks = fit(remaining, **kwargs, force_map=True).chunks if remaining else ()
        findings = saved_findings + len(chunks) * result.findings_limit
        merges, rounds = count_merges(findings, result.findings_pool, result.merge_batch)
        result = replace(result, chunks=chunks, merge_calls=merges, merge_rounds=rounds)
    else:
        result = fit(passages, **kwargs)
    if strategy.by_parts and request.per_call is None and result.mode == "single":
        result = replace(result, parts=1 + len(CLAIM_SECTIONS))
    if speed is not None:
        seconds = estimate_seconds(result, speed, request.parallel)
        result = replace(result, estimated_seconds=seconds, estimate_measured=speed.measured)
    return result


def context_limit(engine: Engine, model: str, cap: int) -> int:
    """The largest context to use with ``model``: its trained maximum, within ``cap``."""
    return min(engine.describe(model).context_length or FALLBACK_CONTEXT, cap)


def prompt_overhead(prompt: str) -> int:
    """Prompt tokens around the data: the system text and ``prompt`` (a call's user message
    without its data). The ``format`` schema constrains decoding; it is not part of the
    prompt, so it costs no context."""
    return estimate_tokens(prompts.SYSTEM) + estimate_tokens(prompt)


def estimate_seconds(plan_: Plan, speed: ModelSpeed, parallel: int) -> float:
    """How long ``plan_`` should take on this machine, from the model's measured rates, with
    ``parallel`` chunks read at once."""
    persona_out = plan_.persona_calls // plan_.parts * plan_.per_call * EXPECTED_PERSONA_TOKENS
    persona_in = plan_.persona_calls * 600
    if plan_.mode == "single":
        return speed.seconds_for(plan_.corpus_tokens + persona_in, persona_out)
    chunks = len(plan_.chunks)
    map_out = chunks * plan_.findings_limit * EXPECTED_FINDING_TOKENS
    map_in = plan_.corpus_tokens + chunks * 400
    waves = -(-chunks // parallel) if chunks else 0
    map_seconds = speed.seconds_for(map_in, map_out) * (waves / max(chunks, 1))
    merge_in = plan_.merge_calls * plan_.merge_batch * plan_.finding_tokens
    merge_out = merge_in // 2
    synth_in = persona_in + plan_.persona_calls * plan_.synthesis_findings * plan_.finding_tokens
    return map_seconds + speed.seconds_for(merge_in + synth_in, merge_out + persona_out)


def fit(
    passages: Sequence[Passage],
    *,
    count: int,
    context_limit: int,
    prompt_overhead: int,
    findings_overhead: int | None = None,
    synthesis_overhead: int | None = None,
    merge_overhead: int | None = None,
    per_call: int | None = None,
    factor: float = 1.0,
    force_map: bool = False,
) -> Plan:
    """The calls that fit ``passages`` into the context (the sizing :func:`plan` does).

    ``context_limit`` is the largest ``num_ctx`` allowed (the model's maximum, capped by
    settings); the overheads are the tokens of instructions around the data of each kind of
    call; ``per_call`` caps the personas asked for in one call; ``factor`` scales token
    estimates (see :class:`persona.core.tokens.Calibration`); ``force_map`` plans a
    map-reduce even when the data would fit one prompt (a resumed run has findings already).
    """
    if not passages:
        raise InputError("There is no research text to work from: upload at least one file.")
    if context_limit < MIN_CONTEXT:
        raise InputError(
            f"The model's context ({context_limit} tokens) is too small to use: pick a model "
            f"with at least {MIN_CONTEXT:,} tokens of context."
        )
    costs = [passage_tokens(p, factor) for p in passages]
    corpus = sum(costs)
    wanted = min(per_call or count, count)
    half = context_limit // 2
    single_per_call = max(1, min(wanted, (half - 150) // REFERENCED_PERSONA_TOKENS))
    answer = _answer(single_per_call)
    single_need = _sized(corpus + int(prompt_overhead * factor), answer)
    if single_need <= context_limit and not force_map:
        return Plan(
            "single",
            (tuple(passages),),
            max(MIN_CONTEXT, single_need),
            answer,
            0,
            corpus,
            context_limit,
            count=count,
            per_call=single_per_call,
        )
    own = findings_overhead if findings_overhead is not None else prompt_overhead
    overhead = int(own * factor)
    chars = sum(len(format_line(p)) for p in passages)
    density = max(0.25, corpus / max(chars, 1))
    finding_tokens = max(40, int(FINDING_CHARS * density * 1.2))
    synth_overhead = int(
        (synthesis_overhead if synthesis_overhead is not None else prompt_overhead) * factor
    )
    per_call_, synthesis = _personas_per_call(wanted, context_limit, synth_overhead, finding_tokens)
    if synthesis < 1:
        raise InputError(
            f"The model's context ({context_limit:,} tokens) leaves no room for the findings "
            "of this study: pick a model with a longer context."
        )
    pool = findings_pool(synthesis, -(-count // per_call_))
    # Room for a chunk's findings: no more than the findings it may return need, so the
    # rest of the context carries data (two passes: the limit depends on the chunk count).
    findings = min(FINDINGS_ANSWER_TOKENS, context_limit // 4)
    per_finding = finding_tokens + FINDING_ANSWER_OVERHEAD
    for _ in range(2):
        capacity = chunk_capacity(context_limit, findings, overhead)
        if capacity < 200:
            raise InputError(
                f"The model's context ({context_limit:,} tokens) leaves no room for data: "
                "pick a model with a longer context."
            )
        chunks, split = chunk_passages(passages, capacity, factor)
        limit = max(MIN_FINDINGS, min(MAX_FINDINGS, pool // len(chunks)))
        limit = min(limit, max(1, findings // per_finding))
        findings = min(findings, limit * per_finding + 60)
    num_ctx = num_ctx_for(capacity + overhead, findings, context_limit)
    merge_over = int((merge_overhead if merge_overhead is not None else prompt_overhead) * factor)
    batch = merge_batch_size(context_limit, merge_over, finding_tokens)
    merge_calls, rounds = count_merges(len(chunks) * limit, pool, batch)
    return Plan(
        "map-reduce",
        chunks,
        num_ctx,
        _answer(per_call_),
        findings,
        corpus,
        context_limit,
        split,
        count=count,
        per_call=per_call_,
        findings_limit=limit,
        finding_tokens=finding_tokens,
        synthesis_findings=synthesis,
        merge_batch=batch,
        merge_calls=merge_calls,
        merge_rounds=rounds,
    )


def _answer(per_call: int) -> int:
    return per_call * REFERENCED_PERSONA_TOKENS + 150


def _personas_per_call(
    wanted: int, context_limit: int, overhead: int, finding_tokens: int
) -> tuple[int, int]:
    """(personas per call, findings a persona call can take): fewer personas per call when
    that leaves too little room for findings."""
    best = (1, 0)
    for per_call in range(min(wanted, 10), 0, -1):
        answer = _answer(per_call)
        if answer > context_limit // 2 and per_call > 1:
            continue
        room = int((context_limit - answer - _ROUND - overhead) / SAFETY)
        synthesis = max(0, room // finding_tokens)
        if synthesis >= MIN_SYNTHESIS_FINDINGS or per_call == 1:
            return per_call, synthesis
        best = max(best, (per_call, synthesis), key=lambda b: b[1])
    return best


def chunk_capacity(context_limit: int, findings_tokens: int, overhead: int) -> int:
    """Tokens of data one chunk may carry: the context less the findings' answer, with the
    estimate's margin, less the instructions around the data."""
    return int((context_limit - findings_tokens) / SAFETY) - overhead


def findings_pool(synthesis: int, persona_calls: int) -> int:
    """Findings ``persona_calls`` calls of ``synthesis`` findings each take together: one
    less per call when they are shared out, so a participant's findings can be split (and
    all of them in every call when shares would hold less than one call)."""
    shared = (synthesis - 1) * persona_calls
    return shared if persona_calls > 1 and shared > synthesis else synthesis


def merge_batch_size(context_limit: int, overhead: int, finding_tokens: int) -> int:
    """Findings one merge call can take: their prompt plus half as many in the answer."""
    per_finding = finding_tokens * SAFETY + (finding_tokens + FINDING_ANSWER_OVERHEAD) / 2
    room = context_limit - _ROUND - overhead * SAFETY
    return max(2, int(room / per_finding))


def count_merges(findings: int, synthesis: int, batch: int) -> tuple[int, int]:
    """(merge calls, rounds) needed at most to bring ``findings`` down to ``synthesis``.

    Each round splits the findings into batches of at most ``batch`` and each batch of ``b``
    returns at most ``max(1, b // 2)``: the count strictly shrinks until it fits.
    """
    calls = rounds = 0
    n = findings
    while n > max(synthesis, 1):
        batches = -(-n // batch)
        calls += batches
        rounds += 1
        n = (n + batches) // 2
    return calls, rounds


def merge_output_limit(batch_size: int) -> int:
    """Most findings a merge of ``batch_size`` findings may return."""
    return max(1, batch_size // 2)


def num_ctx_for(prompt_tokens: int, answer_tokens: int, context_limit: int) -> int:
    """The context to request for one prompt: room for prompt and answer, within the limit."""
    return min(context_limit, max(MIN_CONTEXT, _sized(prompt_tokens, answer_tokens)))


def _sized(prompt_tokens: int, answer_tokens: int) -> int:
    need = int(prompt_tokens * SAFETY) + answer_tokens
    return -(-need // _ROUND) * _ROUND
