"""Ask the local model for personas: evidence by reference, per-persona validation, repair.

`Generation.events()` yields `Progress` events (steps, streamed text, each persona as it is
kept) and leaves the outcome in `Generation.result`. Large corpora go through findings (map)
→ bounded merges → personas (reduce). Calls that are independent run up to ``parallel`` at
once (:mod:`persona.generation.concurrent`): the chunks, the merges of a round, and persona
calls that each write from their own share of the findings; each persona call has its own
seed, derived from the run's, and results are taken in call order, so a seeded run gives the
same personas whatever ``parallel`` is.

What the model writes is read leniently and checked strictly: every rule is in the schema or
the prompt; valid personas are kept and only invalid or degenerate ones are sent back; a cut or
looping answer still yields every persona it completed; every quote is filled in from the
research passages by ID, so it is word for word by construction.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from functools import partial
from queue import Empty, SimpleQueue
from typing import Any

from persona.core.documents import Passage, with_passage_ids
from persona.core.errors import GenerationError, InputError, PersonaError, PromptTruncated
from persona.core.progress import Progress, Stage
from persona.core.schema import CLAIM_SECTIONS, Persona
from persona.core.setting_rules import MAX_PARALLEL
from persona.core.tokens import Calibration, estimate_tokens
from persona.engines.base import ChatMessage, ChatOptions, Engine, Usage
from persona.generation import prompts
from persona.generation.answers import read_items, read_object
from persona.generation.concurrent import Step, drain, run_steps
from persona.generation.degenerate import degeneracy
from persona.generation.distinct import clashes
from persona.generation.groups import share_out
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
from persona.generation.planner import (
    SAFETY,
    Plan,
    chunk_capacity,
    chunk_passages,
    count_merges,
    merge_output_limit,
    num_ctx_for,
    plan,
)
from persona.generation.references import (
    DRAFT_SCHEMA,
    FINDINGS_SCHEMA,
    CitedClaim,
    DraftPersona,
    Finding,
    participant_names,
    participants_of,
    resolve,
    with_ids,
)
from persona.generation.repetition import LoopDetector
from persona.generation.strategy import Strategy, shaped, strategy_for
from persona.history.speeds import ModelSpeed

DEFAULT_CONTEXT_CAP = 32768
"""Largest ``num_ctx`` Persona asks for unless told otherwise (memory grows with context)."""
FALLBACK_CONTEXT = 4096
"""Context assumed when the engine does not report one (Ollama's own default on most machines)."""
EXPECTED_PERSONA_TOKENS = 350
"""Output tokens one persona by reference usually takes (for duration estimates)."""
EXPECTED_FINDING_TOKENS = 45


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
    """Model calls sent at once where they are independent: chunks, the merges of a round,
    persona calls from their own shares of the findings (the server must allow as many)."""
    language: str = ""
    """The language personas are written in (its English name); empty: not specified."""
    per_call: int | None = None
    """Most personas asked for in one call; None: as many as the context leaves room for."""
    chunk_retries: int = 1
    """A chunk that fails after its repairs is tried this many more times, then reported."""

    def __post_init__(self) -> None:
        if not 1 <= self.count <= 10:
            raise InputError("Ask for between 1 and 10 personas.")
        if not 0 <= self.temperature <= 2:
            raise InputError("Temperature must be between 0 and 2.")
        if not self.model.strip():
            raise InputError("Choose a model first.")
        if not 1 <= self.parallel <= MAX_PARALLEL:
            raise InputError(f"Parallel requests must be between 1 and {MAX_PARALLEL}.")
        if self.per_call is not None and not 1 <= self.per_call <= 10:
            raise InputError("Personas per call must be between 1 and 10.")


@dataclass(frozen=True)
class ChunkFindings:
    """One chunk's findings and the passages they cover (saved as they arrive)."""

    index: int
    passages: tuple[str, ...]
    findings: tuple[Finding, ...]


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
    """Wall time spent in model calls (summed over parallel calls)."""
    answer_seconds: float = 0.0
    """Of which writing answers, where the engine reports it."""
    chunks: list[ChunkFindings] = field(default_factory=list)
    """Findings of every chunk analysed (saved ones included when resuming)."""
    failed_chunks: int = 0
    dropped_ids: int = 0
    """Citations of passages that do not exist (or are not evidence), dropped."""


def context_limit(engine: Engine, model: str, cap: int = DEFAULT_CONTEXT_CAP) -> int:
    """The largest context to use with ``model``: its trained maximum, within ``cap``."""
    return min(engine.describe(model).context_length or FALLBACK_CONTEXT, cap)


def call_options(
    engine: Engine,
    model: str,
    messages: Sequence[ChatMessage],
    answer_tokens: int,
    temperature: float,
) -> ChatOptions:
    """Options for one call outside a generation plan (a chat answer, a translation): a
    context for ``messages`` and an answer of ``answer_tokens``, within the model's own."""
    sent = sum(estimate_tokens(m["content"]) for m in messages)
    limit = engine.describe(model).context_length or FALLBACK_CONTEXT
    return ChatOptions(
        temperature=temperature,
        max_tokens=answer_tokens,
        num_ctx=num_ctx_for(sent, answer_tokens, limit),
    )


def _overhead(prompt: str) -> int:
    """Prompt tokens around the data: the system text and ``prompt`` (a call's user message
    without its data). The ``format`` schema constrains decoding; it is not part of the
    prompt, so it costs no context."""
    return estimate_tokens(prompts.SYSTEM) + estimate_tokens(prompt)


def make_plan(
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
        "prompt_overhead": _overhead(
            prompts.personas_prompt(
                [], request.count, context, names=names, claims=strategy.claims, language=language
            )
        ),
        "findings_overhead": _overhead(
            prompts.findings_prompt([], context, limit=12, language=language)
        ),
        "synthesis_overhead": _overhead(
            prompts.synthesis_prompt(
                [], request.count, context, names=names, claims=strategy.claims, language=language
            )
        ),
        "merge_overhead": _overhead(prompts.merge_prompt([], context, limit=12, language=language)),
        "per_call": request.per_call or strategy.per_call,
        "factor": factor,
    }
    if done:
        # Findings exist (a resumed run): a map-reduce over the passages left.
        result = plan(passages, **kwargs, force_map=True)
        chunks = plan(remaining, **kwargs, force_map=True).chunks if remaining else ()
        findings = saved_findings + len(chunks) * result.findings_limit
        merges, rounds = count_merges(findings, result.findings_pool, result.merge_batch)
        result = replace(result, chunks=chunks, merge_calls=merges, merge_rounds=rounds)
    else:
        result = plan(passages, **kwargs)
    if strategy.by_parts and request.per_call is None and result.mode == "single":
        result = replace(result, parts=1 + len(CLAIM_SECTIONS))
    if speed is not None:
        seconds = estimate_seconds(result, speed, request)
        result = replace(result, estimated_seconds=seconds, estimate_measured=speed.measured)
    return result


def estimate_seconds(plan_: Plan, speed: ModelSpeed, request: GenerationRequest) -> float:
    """How long ``plan_`` should take on this machine, from the model's measured rates."""
    persona_out = plan_.persona_calls // plan_.parts * plan_.per_call * EXPECTED_PERSONA_TOKENS
    persona_in = plan_.persona_calls * 600
    if plan_.mode == "single":
        return speed.seconds_for(plan_.corpus_tokens + persona_in, persona_out)
    chunks = len(plan_.chunks)
    map_out = chunks * plan_.findings_limit * EXPECTED_FINDING_TOKENS
    map_in = plan_.corpus_tokens + chunks * 400
    waves = -(-chunks // request.parallel) if chunks else 0
    map_seconds = speed.seconds_for(map_in, map_out) * (waves / max(chunks, 1))
    merge_in = plan_.merge_calls * plan_.merge_batch * plan_.finding_tokens
    merge_out = merge_in // 2
    synth_in = persona_in + plan_.persona_calls * plan_.synthesis_findings * plan_.finding_tokens
    return map_seconds + speed.seconds_for(merge_in + synth_in, merge_out + persona_out)


class _Cancelled(Exception):
    """The run was closed while a call was under way."""


@dataclass
class _Outcome:
    """A persona call's usable result."""

    personas: list[Persona] = field(default_factory=list)
    unusable: list[Persona] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)
    """Names of personas left out because they repeated one already kept."""
    warnings: list[str] = field(default_factory=list)
    """What the call's answers needed (kept apart so concurrent calls report in order)."""


@dataclass
class _Personas:
    """The personas of a run so far, in the order they are handed over."""

    kept: list[Persona] = field(default_factory=list)
    unusable: list[Persona] = field(default_factory=list)
    errors: list[PersonaError] = field(default_factory=list)
    """Persona calls that failed (their personas are missing)."""


class Generation:
    """One run of the model over the research passages."""

    def __init__(
        self,
        engine: Engine,
        passages: Sequence[Passage],
        request: GenerationRequest,
        plan: Plan | None = None,
        *,
        speed: ModelSpeed | None = None,
        saved: Sequence[ChunkFindings] = (),
        on_chunk: Callable[[ChunkFindings], None] | None = None,
    ) -> None:
        self.engine = engine
        self.passages = with_passage_ids(passages)
        self.by_id = {p.id: p for p in self.passages}
        self.request = request
        self.strategy: Strategy = strategy_for(engine.describe(request.model))
        self.by_parts = self.strategy.by_parts and request.per_call is None
        """Personas written part by part (:mod:`persona.generation.parts`), unless the user
        chose how many personas each call writes."""
        self.saved = list(saved)
        covered = [pid for chunk in self.saved for pid in chunk.passages]
        self.plan = plan or make_plan(
            engine,
            self.passages,
            request,
            speed=speed,
            covered=covered,
            saved_findings=sum(len(chunk.findings) for chunk in self.saved),
        )
        self._register(self.plan.chunks)
        self.result = GenerationResult(personas=[], plan=self.plan, chunks=list(self.saved))
        self.on_chunk = on_chunk
        self.names = participant_names(self.passages)
        self.calibration = Calibration()
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._started = 0.0
        self._done = 0
        self._total = self.plan.calls
        self._fraction = 0.0
        self._num_ctx = self.plan.num_ctx

    def _register(self, chunks: Iterable[Sequence[Passage]]) -> None:
        """Make the parts of passages split to fit a chunk (``P17.2``) citable by their IDs."""
        for chunk in chunks:
            for passage in chunk:
                self.by_id.setdefault(passage.id, passage)

    # --- progress ------------------------------------------------------------

    def _progress(
        self, stage: Stage, message: str, text: str = "", persona: Persona | None = None
    ) -> Progress:
        """An event whose fraction never goes back and stays below 1 until the end."""
        with self._lock:
            total = max(self._total, self._done + 1)
            self._fraction = max(self._fraction, min(0.99, self._done / total))
            done = self._done
        elapsed = time.monotonic() - self._started if self._started else 0.0
        eta: float | None = None
        if done:
            eta = elapsed / done * max(total - done, 0)
        elif self.plan.estimated_seconds is not None:
            eta = max(self.plan.estimated_seconds - elapsed, 0.0)
        return Progress(
            stage,
            message,
            fraction=self._fraction,
            completed=done,
            total=total,
            unit="calls",
            eta=eta,
            text=text,
            persona=persona,
        )

    def _step_done(self) -> None:
        with self._lock:
            self._done += 1

    def _plan_changed(self, extra_calls: int) -> None:
        with self._lock:
            self._total += extra_calls

    # --- the run -------------------------------------------------------------

    def events(self) -> Iterator[Progress]:
        """Yield progress while generating; the personas end up in ``self.result``.

        The fraction and the count of calls done never go back (an event made in a worker
        thread can arrive after a later one) and the fraction reaches 1 only at the end."""
        last = 0.0
        done = 0
        for event in self._run():
            if event.fraction is not None:
                last = max(last, min(event.fraction, 1.0))
                if event.fraction != last:
                    event = replace(event, fraction=last)
            if event.completed is not None:
                done = max(done, event.completed)
                if event.completed != done:
                    event = replace(event, completed=done)
            yield event

    def _run(self) -> Iterator[Progress]:
        self._started = time.monotonic()
        plan_ = self.plan
        yield Progress("plan", plan_.describe(), fraction=0.0, eta=plan_.estimated_seconds)
        try:
            names = prompts.names_clause(self.names)
            if plan_.mode == "single" and self.by_parts:
                personas = yield from self._write_by_parts(plan_.chunks[0], names)
            elif plan_.mode == "single":
                citable = [p.id for p in plan_.chunks[0] if p.citable]
                personas = yield from self._write_personas(
                    lambda _call, count, written: prompts.personas_prompt(
                        plan_.chunks[0],
                        count,
                        self.request.context,
                        written,
                        names=names,
                        claims=self.strategy.claims,
                        language=self.request.language,
                    ),
                    lambda _call: citable,
                    independent=False,
                )
            else:
                shares = yield from self._findings_for_persona_calls()
                personas = yield from self._write_personas(
                    lambda call, count, written: prompts.synthesis_prompt(
                        shares[call % len(shares)],
                        count,
                        self.request.context,
                        written,
                        names=names,
                        claims=self.strategy.claims,
                        language=self.request.language,
                    ),
                    lambda call: list(
                        dict.fromkeys(pid for f in shares[call % len(shares)] for pid in f.passages)
                    ),
                    independent=len(shares) > 1,
                )
        finally:
            self._cancel.set()
        self.result.personas = personas
        self._summarise_drops()
        usable = sum(not p.unusable for p in personas)
        yield Progress("personas", f"{usable} personas written", fraction=1.0, eta=0.0)

    def _summarise_drops(self) -> None:
        if self.result.dropped_ids:
            self.result.warnings.append(
                f"Dropped {self.result.dropped_ids} citation(s) of passages that do not exist "
                "or are not what a participant said (headings, the interviewer's questions)."
            )

    # --- map -----------------------------------------------------------------

    def _map(self) -> Generator[Progress, None, list[Finding]]:
        """Findings of every chunk, in chunk order; saved chunks (a resumed run) are reused."""
        plan_ = self.plan
        total = len(plan_.chunks)
        pending: deque[tuple[tuple[int, ...], tuple[Passage, ...]]] = deque(
            ((index,), chunk) for index, chunk in enumerate(plan_.chunks)
        )
        results: dict[tuple[int, ...], ChunkFindings] = {}
        failures: list[str] = []
        attempts: dict[tuple[int, ...], int] = {}
        events: SimpleQueue[Progress] = SimpleQueue()
        parallel = self.request.parallel
        show_text = parallel == 1
        pool = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="persona-chunk")
        running: dict[Future[ChunkFindings], tuple[tuple[int, ...], tuple[Passage, ...]]] = {}
        # The first chunk calibrates the token estimate: until it is done, no more than one
        # wave is sent, so a seeded run plans (and answers) the same whatever the timing.
        calibrated = False
        submitted = 0
        try:
            while pending or running:
                while (
                    pending
                    and len(running) < parallel
                    and (calibrated or submitted < parallel or not running)
                ):
                    key, chunk = pending.popleft()
                    label = f"Reading part {key[0] + 1} of {total} ({_span(chunk)})"
                    future = pool.submit(self._chunk_job, key, chunk, label, events, show_text)
                    running[future] = (key, chunk)
                    submitted += 1
                while True:
                    try:
                        yield events.get_nowait()
                    except Empty:
                        break
                finished, _ = wait(list(running), timeout=0.05, return_when=FIRST_COMPLETED)
                for future in sorted(finished, key=lambda f: running[f][0]):
                    key, chunk = running.pop(future)
                    error = future.exception()
                    if error is None:
                        chunk_findings = future.result()
                        results[key] = chunk_findings
                        self.result.chunks.append(chunk_findings)
                        if self.on_chunk is not None:
                            self.on_chunk(chunk_findings)
                        self._step_done()
                        yield self._progress("generate", f"Read part {key[0] + 1} of {total}")
                    elif isinstance(error, _Cancelled):
                        raise error
                    elif isinstance(error, PromptTruncated) and len(chunk) > 1:
                        half = len(chunk) // 2
                        pending.extendleft([((*key, 1), chunk[half:]), ((*key, 0), chunk[:half])])
                        self._plan_changed(1)
                        yield self._progress(
                            "warning", f"Part {key[0] + 1} was too long for the model: split in two"
                        )
                    elif isinstance(error, PersonaError) and attempts.get(key, 0) < (
                        self.request.chunk_retries
                    ):
                        attempts[key] = attempts.get(key, 0) + 1
                        pending.appendleft((key, chunk))
                        yield self._progress(
                            "repair", f"Part {key[0] + 1} of {total} failed ({error}); trying again"
                        )
                    elif isinstance(error, PersonaError):
                        self._step_done()
                        self.result.failed_chunks += 1
                        failures.append(
                            f"Part {key[0] + 1} of {total} ({_span(chunk)}) could not be "
                            f"analysed, so the personas do not reflect it: {error}"
                        )
                        if isinstance(error, GenerationError) and error.raw:
                            self.result.raw_answers.append(error.raw)
                        yield self._progress("warning", failures[-1])
                    else:
                        raise error
                    first = (0,)
                    if (
                        not calibrated
                        and not any(k[:1] == first for k, _ in running.values())
                        and (not any(k[:1] == first for k, _ in pending))
                    ):
                        calibrated = True
                        yield from self._recalibrate(pending)
        finally:
            if running:
                self._cancel.set()  # closed or failed: stop what is outstanding
            pool.shutdown(wait=False, cancel_futures=True)
        self.result.warnings.extend(failures)
        saved = [f for chunk in self.saved for f in chunk.findings]
        findings = saved + [f for key in sorted(results) for f in results[key].findings]
        if not findings:
            raise GenerationError(
                "The model found nothing usable in any part of the data. Try a larger model.",
                raw="\n\n".join(self.result.raw_answers[-1:]),
            )
        return findings

    def _recalibrate(
        self, pending: deque[tuple[tuple[int, ...], tuple[Passage, ...]]]
    ) -> Iterator[Progress]:
        """Re-plan the chunks not yet sent when the model counts more tokens than estimated."""
        factor = self.calibration.factor
        if factor <= 1.0 or not pending:
            return
        plan_ = self.plan
        overhead = _overhead(
            prompts.findings_prompt(
                [], self.request.context, limit=12, language=self.request.language
            )
        )
        capacity = chunk_capacity(
            plan_.context_limit, plan_.findings_tokens, int(overhead * factor)
        )
        passages = [p for _, chunk in pending for p in chunk]
        first = pending[0][0]
        chunks = chunk_passages(passages, max(capacity, 200), factor)
        self._register(chunks)
        added = len(chunks) - len(pending)
        pending.clear()
        pending.extend(((*first, i), chunk) for i, chunk in enumerate(chunks))
        if added > 0:
            self._plan_changed(added)
            yield self._progress(
                "plan",
                f"This model counts about {factor:.2f}× the estimated tokens: the remaining "
                f"data is re-planned into {len(chunks)} chunks ({added} more calls).",
            )

    def _chunk_job(
        self,
        key: tuple[int, ...],
        chunk: tuple[Passage, ...],
        label: str,
        events: SimpleQueue[Progress],
        show_text: bool,
    ) -> ChunkFindings:
        """One chunk's findings (runs in a worker thread; events go to ``events``)."""
        limit = self.plan.findings_limit or 12
        allowed = [p.id for p in chunk if p.citable]
        findings = drain(
            self._ask_findings(
                prompts.findings_prompt(
                    chunk, self.request.context, limit=limit, language=self.request.language
                ),
                allowed,
                limit,
                label,
                calibrate=key[:1] == (0,),
            ),
            events,
            show_text,
        )
        return ChunkFindings(key[0], tuple(p.id for p in chunk), tuple(findings))

    # --- reduce --------------------------------------------------------------

    def _synthesis_room(self) -> int:
        """Tokens the findings may take in one persona call."""
        plan_ = self.plan
        if plan_.synthesis_findings:
            return plan_.synthesis_findings * plan_.finding_tokens
        overhead = _overhead(
            prompts.synthesis_prompt(
                [],
                self.request.count,
                self.request.context,
                names=prompts.names_clause(self.names),
                claims=self.strategy.claims,
                language=self.request.language,
            )
        )
        return int((plan_.context_limit - plan_.answer_tokens - overhead) / SAFETY)

    def _findings_for_persona_calls(self) -> Generator[Progress, None, list[list[Finding]]]:
        """The findings each persona call writes from: with several calls, each its own share
        (:func:`~persona.generation.groups.share_out`); else all of them in one call."""
        findings = yield from self._map()
        room = self._synthesis_room()
        calls = self.plan.persona_calls
        bound = self.plan.finding_tokens or room // 2
        pool = calls * (room - bound - _findings_tokens([]))
        if calls > 1 and pool > room:  # else the shares would hold less than one call
            findings = yield from self._condense(findings, pool)
            if len(findings) >= calls:
                return share_out(findings, calls, room, _findings_tokens)
        findings = yield from self._condense(findings, room)
        return [findings]

    def _condense(
        self, findings: list[Finding], room: int
    ) -> Generator[Progress, None, list[Finding]]:
        """Merge findings, round by round, until they fit ``room`` tokens."""
        bound = self.plan.finding_tokens or 10**6
        findings = [_bounded(f, bound) for f in findings]
        batch_size = self.plan.merge_batch or 2
        round_ = 0
        while _findings_tokens(findings) > room and len(findings) > 1:
            round_ += 1
            batches = _batches(findings, batch_size, bound)
            merging = [(n, batch) for n, batch in enumerate(batches, start=1) if len(batch) > 1]
            steps: list[Step[list[Finding]]] = [
                partial(
                    self._ask_findings,
                    prompts.merge_prompt(
                        batch,
                        self.request.context,
                        limit=merge_output_limit(len(batch)),
                        language=self.request.language,
                    ),
                    list(dict.fromkeys(pid for f in batch for pid in f.passages)),
                    merge_output_limit(len(batch)),
                    f"Merging findings, round {round_}, batch {n} of {len(batches)}",
                    calibrate=len(merging) == 1,  # else the order they finish in would count
                )
                for n, batch in merging
            ]
            answers = iter(
                (yield from run_steps(steps, self.request.parallel, self._cancel, self._counted))
            )
            merged: list[Finding] = []
            for batch in batches:
                if len(batch) == 1:
                    merged.extend(batch)
                    continue
                limit = merge_output_limit(len(batch))
                answer = next(answers)
                if isinstance(answer, GenerationError):
                    self.result.warnings.append(
                        f"A merge of {len(batch)} findings failed ({answer}); kept {limit} of them."
                    )
                    answer = []
                elif isinstance(answer, PersonaError):
                    raise answer
                if not answer:  # keep the batch's first findings rather than lose them all
                    answer = batch[:limit]
                merged.extend(_bounded(f, bound) for f in answer[:limit])
            findings = merged
        return findings

    def _counted(self, _index: int, _outcome: object) -> Iterable[Progress]:
        """A call of a concurrent round is done (its result is read in order afterwards)."""
        self._step_done()
        return ()

    # --- personas ------------------------------------------------------------

    def _write_personas(
        self,
        prompt_for: Callable[[int, int, Sequence[str]], str],
        allowed_for: Callable[[int], Sequence[str]],
        *,
        independent: bool,
    ) -> Generator[Progress, None, list[Persona]]:
        """All personas asked for, ``per_call`` at a time; each persona is handed over (a
        ``persona`` event) the moment it is kept.

        ``prompt_for(call, count, written)`` is the prompt of call ``call`` (from 0) asking
        for ``count`` personas, told who is ``written``; ``allowed_for(call)`` the passage IDs
        that call may cite. ``independent`` calls (each from its own share of the findings)
        run at once, up to ``parallel``; a persona that repeats one of an earlier call is
        asked for again, told of all the others (up to ``max_repairs`` times). Other calls
        (the same data for each) run one after another, each told who those before it wrote.
        """
        count = self.request.count
        per_call = max(1, self.plan.per_call)
        calls = -(-count // per_call)
        personas = _Personas()
        if independent:
            asks = [(call, min(per_call, count - call * per_call)) for call in range(calls)]
            for again in range(self.request.max_repairs + 1):
                lost = yield from self._persona_round(
                    prompt_for, allowed_for, asks, personas, calls, again=again
                )
                asks = [(call, missing) for call, missing in sorted(lost.items()) if missing]
                if not asks:
                    break
                self._plan_changed(len(asks))
        else:
            for call in range(calls):
                want = min(per_call, count - len(personas.kept))
                if want <= 0:
                    break
                yield from self._persona_round(
                    prompt_for, allowed_for, [(call, want)], personas, calls, again=0
                )
        return (yield from self._hand_over(personas))

    def _hand_over(self, personas: _Personas) -> Generator[Progress, None, list[Persona]]:
        """The personas kept, then as many unusable ones as are missing (reported); an error
        when there is none at all."""
        count = self.request.count
        kept = personas.kept
        if not kept and not personas.unusable:
            if personas.errors:
                raise personas.errors[0]
            raise GenerationError(
                f"The model did not give valid personas after {self.request.max_repairs + 1} "
                "tries. Try again with another seed, a lower temperature or a larger model. "
                "The last answer is kept for inspection.",
                raw=self.result.raw_answers[-1] if self.result.raw_answers else "",
            )
        if len(kept) < count:
            self.result.warnings.append(
                f"The model wrote {len(kept)} usable persona(s) of the {count} asked."
            )
        shown = personas.unusable[: count - len(kept)]
        for number, persona in enumerate(shown, start=len(kept) + 1):
            self.result.warnings.append(
                f"{persona.name} is marked unusable: {'; '.join(persona.unusable)}."
            )
            yield self._persona_ready(persona, number)
        return kept + shown

    def _persona_round(
        self,
        prompt_for: Callable[[int, int, Sequence[str]], str],
        allowed_for: Callable[[int], Sequence[str]],
        asks: Sequence[tuple[int, int]],
        personas: _Personas,
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
        steps: list[Step[_Outcome]] = []
        for call, want in asks:
            label = "Writing personas" + (f" ({call + 1} of {calls})" if calls > 1 else "")
            steps.append(
                partial(
                    self._ask_personas,
                    prompt_for(call, want, written),
                    allowed_for(call),
                    want,
                    existing,
                    label + (", again for one that repeated another" if again else ""),
                    seed=self._seed(again * calls + call),
                    calibrate=len(asks) == 1,  # else the order they finish in would count
                )
            )
        lost: dict[int, int] = {}

        def kept_in_order(index: int, outcome: _Outcome | PersonaError) -> Iterator[Progress]:
            call, want = asks[index]
            self._step_done()
            if isinstance(outcome, PersonaError):
                personas.errors.append(outcome)
                if isinstance(outcome, GenerationError) and outcome.raw:
                    self.result.raw_answers.append(outcome.raw)
                failure = (
                    f"Persona call {call + 1} of {calls} failed, so its {want} persona(s) are "
                    f"missing: {outcome}"
                )
                self.result.warnings.append(failure)
                yield self._progress("warning", failure)
                return
            self.result.warnings.extend(outcome.warnings)
            repeats = []  # of a persona an earlier call of this round wrote
            for persona in outcome.personas:
                if clashes(persona, personas.kept):
                    repeats.append(persona.name)
                    continue
                personas.kept.append(persona)
                yield self._persona_ready(persona, len(personas.kept))
            personas.unusable.extend(outcome.unusable)
            lost[call] = len(repeats)
            left_out = list(outcome.repeated) if len(outcome.personas) < want else []
            if again == self.request.max_repairs:  # else they are asked for again
                left_out += repeats
            if left_out:
                self.result.warnings.append(
                    f"Left out {len(left_out)} persona(s) that repeated another "
                    f"({', '.join(left_out)})."
                )

        yield from run_steps(steps, self.request.parallel, self._cancel, kept_in_order)
        return lost

    def _write_by_parts(
        self, chunk: Sequence[Passage], names: str
    ) -> Generator[Progress, None, list[Persona]]:
        """A small model's personas, one group of participants each, part by part
        (:mod:`persona.generation.parts`); each persona is handed over the moment it is kept,
        and those kept stay kept whatever a later call does."""
        groups = participant_groups(chunk, self.request.count)
        self._plan_changed((len(groups) - self.request.count) * self.plan.parts)
        personas = _Personas()
        for number, group in enumerate(groups):
            try:
                persona = yield from self._persona_by_parts(
                    group, with_context(group, chunk), personas, names, number
                )
            except GenerationError as exc:
                personas.errors.append(exc)
                failure = f"Persona {number + 1} of {len(groups)} failed: {exc}"
                self.result.warnings.append(failure)
                yield self._progress("warning", failure)
                continue
            if persona.unusable:
                personas.unusable.append(persona)
            else:
                personas.kept.append(persona)
                yield self._persona_ready(persona, len(personas.kept))
        return (yield from self._hand_over(personas))

    def _persona_by_parts(
        self,
        group: Sequence[Passage],
        shown: Sequence[Passage],
        personas: _Personas,
        names: str,
        number: int,
    ) -> Generator[Progress, None, Persona]:
        """One persona from ``group`` (its citable passages; ``shown`` with their context): an
        identity call, then one call per claim section (each repaired once when it breaks a
        rule); checked like any other persona."""
        earlier = [*personas.kept, *personas.unusable]
        offered = offered_names(self.names, [p.name for p in earlier], start=number * OFFERED)
        ids = [p.id for p in group]
        enum = self.engine.capabilities.schema_enum
        written = [f"{p.name} ({p.role})" for p in earlier]
        label = f"Writing persona {number + 1} of {self.request.count}"
        claims, language = PART_CLAIMS, self.request.language
        prompt = prompts.identity_prompt(
            shown,
            offered,
            self.request.context,
            written,
            names=names,
            claims=claims,
            language=language,
        )
        identity: Any = None
        problems: list[str] = []
        messages = _opening(prompt)
        for attempt in range(min(self.request.max_repairs, 1) + 1):
            text, cut = yield from self._call(
                messages,
                identity_schema(offered, ids, enum=enum),
                self.plan.answer_tokens,
                f"{label}: name and role" + (f" (repair {attempt})" if attempt else ""),
                seed=self._seed(number),
            )
            self._step_done()
            answer, problems = read_object(text, Identity)
            if answer is not None:
                identity = answer  # the latest readable one: a repair fixes what it told
                problems = identity_problems(answer, offered, self.names)
                if not problems:
                    break
            self.result.raw_answers.append(text)
            messages = [
                *_opening(prompt),
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
                raw=self.result.raw_answers[-1] if self.result.raw_answers else "",
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
                self.request.context,
                names=names,
                claims=claims,
                language=language,
            )
            messages = _opening(prompt)
            best: tuple[int, list[CitedClaim]] | None = None
            for attempt in range(min(self.request.max_repairs, 1) + 1):
                text, cut = yield from self._call(
                    messages,
                    claims_schema(section, list(by_id), claims, enum=enum),
                    self.plan.answer_tokens,
                    f"{label}: {prompts.SECTION_NAMES[section]}"
                    + (f" (repair {attempt})" if attempt else ""),
                    seed=self._seed(number),
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
                self.result.raw_answers.append(text)
                messages = [
                    *_opening(prompt),
                    {"role": "assistant", "content": text[:1500]},
                    {
                        "role": "user",
                        "content": prompts.repair_message(
                            "\n".join(f"- {p}" for p in wrong[:12]), 0, [], section
                        ),
                    },
                ]
            self._step_done()
            if best is None:
                raise GenerationError(
                    f"The model wrote no {prompts.SECTION_NAMES[section]} for {persona_label}.",
                    raw=text,
                )
            sections[section] = best[1]
            said += [c.text for c in best[1]]
        persona, found = resolve(assembled(identity, sections), self.by_id, ids)
        with self._lock:
            self.result.dropped_ids += found.unknown_ids
        reasons = degeneracy(persona, self.names) + clashes(persona, personas.kept)
        return persona.model_copy(update={"unusable": reasons})

    def _persona_ready(self, persona: Persona, number: int) -> Progress:
        return self._progress(
            "persona",
            f"Persona {number} of {self.request.count} written",
            persona=persona,
        )

    def _seed(self, call: int) -> int | None:
        """Each persona call's own seed, derived from the run's: calls that run at once
        must not write the same answer, and the same seed must give the same personas."""
        return None if self.request.seed is None else self.request.seed + call

    def _ask_personas(
        self,
        prompt: str,
        allowed: Sequence[str],
        want: int,
        existing: Sequence[Persona],
        label: str,
        *,
        seed: int | None,
        calibrate: bool,
    ) -> Generator[Progress, None, _Outcome]:
        """One persona call with repairs for the invalid or degenerate personas only (thread-
        safe: it may run beside other calls)."""
        base = _opening(prompt)
        messages = base
        outcome = _Outcome()
        text = ""
        for attempt in range(self.request.max_repairs + 1):
            schema = with_ids(
                shaped(DRAFT_SCHEMA, self.strategy),
                allowed,
                enum=self.engine.capabilities.schema_enum,
                items=want - len(outcome.personas),
            )
            title = label + (
                f" (repair {attempt} of {self.request.max_repairs})" if attempt else ""
            )
            room = self.plan.answer_tokens
            text, cut = yield from self._call(
                messages, schema, room, title, seed=seed, calibrate=calibrate
            )
            answer = read_items(text, DraftPersona, "personas")
            problems = list(answer.problems)
            outcome.unusable, outcome.repeated = [], []
            if answer.trimmed:
                outcome.warnings.append("Trimmed over-long text: " + "; ".join(answer.trimmed))
            for draft in answer.items:
                persona, found = resolve(draft, self.by_id, allowed)
                with self._lock:
                    self.result.dropped_ids += found.unknown_ids
                if found.span_fallbacks:
                    outcome.warnings.append(
                        f"{persona.name}: the quote's span was not in the passage it cited, so "
                        "the whole passage is quoted."
                    )
                reasons = degeneracy(persona, self.names)
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
            with self._lock:
                self.result.raw_answers.append(text)
            yield self._progress("repair", f"The answer was not fully usable: {problems[0]}")
            kept_names = [p.name for p in [*existing, *outcome.personas]]
            repair = {
                "role": "user",
                "content": prompts.repair_message(
                    "\n".join(f"- {p}" for p in problems[:12]), missing, kept_names, "personas"
                ),
            }
            shown = text if len(text) < 4000 and not cut else text[:1500]
            messages = [*base, {"role": "assistant", "content": shown}, repair]
            if num_ctx_for(_tokens(messages), room, self.plan.context_limit) >= (
                self.plan.context_limit
            ):
                messages = [*base, repair]  # the failed answer does not fit: describe it only
        return outcome

    def _ask_findings(
        self,
        prompt: str,
        allowed: Sequence[str],
        limit: int,
        label: str,
        *,
        calibrate: bool = True,
    ) -> Generator[Progress, None, list[Finding]]:
        """Findings from one call (a chunk or a merge), with repairs when none is usable."""
        schema = with_ids(
            FINDINGS_SCHEMA, allowed, enum=self.engine.capabilities.schema_enum, items=limit
        )
        permitted = set(allowed)
        base = _opening(prompt)
        messages = base
        text = ""
        for attempt in range(self.request.max_repairs + 1):
            title = label + (
                f" (repair {attempt} of {self.request.max_repairs})" if attempt else ""
            )
            text, cut = yield from self._call(
                messages, schema, self.plan.findings_tokens or 1200, title, calibrate=calibrate
            )
            answer = read_items(text, Finding, "findings")
            kept: list[Finding] = []
            for finding in answer.items[:limit]:
                ids = [i.strip().upper() for i in finding.passages]
                known = [i for i in dict.fromkeys(ids) if i in permitted]
                with self._lock:
                    self.result.dropped_ids += len(ids) - len(known)
                if known:
                    who = ", ".join(participants_of(known, self.by_id))
                    kept.append(finding.model_copy(update={"passages": known, "participant": who}))
            if kept or (answer.readable and not answer.problems and answer.complete):
                return kept
            problems = answer.problems or ["no finding cites a passage ID from the data"]
            if cut:
                problems.insert(0, cut)
            with self._lock:
                self.result.raw_answers.append(text)
            messages = [
                *base,
                {
                    "role": "user",
                    "content": prompts.repair_message("\n".join(problems[:12]), 0, [], "findings"),
                },
            ]
        raise GenerationError(
            f"The model did not give valid findings after {self.request.max_repairs + 1} tries.",
            raw=text,
        )

    # --- one call ------------------------------------------------------------

    def _context_for(self, needed: int) -> int:
        """The ``num_ctx`` of a call that needs ``needed``: one for the whole run, the plan's
        (its estimate errs high), grown when a call needs more and never shrunk. Ollama
        reloads a model whose ``num_ctx`` changes, and loses the prompt cache with it."""
        with self._lock:
            self._num_ctx = max(self._num_ctx, needed)
            return self._num_ctx

    def _call(
        self,
        messages: list[dict[str, str]],
        schema: dict[str, Any],
        room: int,
        title: str,
        *,
        show_text: bool = True,
        calibrate: bool = True,
        seed: int | None = None,
    ) -> Generator[Progress, None, tuple[str, str]]:
        """Stream one chat call; returns its text and why it was cut ("" when it was not).

        A looping answer is stopped early (the engine's iterator is closed). The engine
        refuses an answer to a prompt it cut at the context limit. ``seed``: the call's own
        (default: the run's)."""
        sent = _tokens(messages)
        limit = self.plan.context_limit
        num_ctx = self._context_for(num_ctx_for(self.calibration.scale(sent), room, limit))
        predict = max(room, num_ctx - int(self.calibration.scale(sent) * SAFETY))
        options = ChatOptions(
            num_ctx=num_ctx,
            temperature=self.request.temperature,
            seed=self.request.seed if seed is None else seed,
            max_tokens=predict,
        )
        yield self._progress("generate", title)
        text = ""
        usage = Usage()
        loop = LoopDetector()
        with self._lock:
            self.result.calls += 1
        stream = self.engine.chat(self.request.model, messages, schema=schema, options=options)
        try:
            for piece in stream:
                if self._cancel.is_set():
                    raise _Cancelled
                if isinstance(piece, Usage):
                    usage = piece
                    continue
                text += piece
                if show_text:
                    yield self._progress("generate", title, text=piece)
                if loop.feed(piece):
                    break
        except GenerationError as exc:
            exc.raw = exc.raw or text
            raise
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        with self._lock:
            self.result.prompt_tokens += usage.prompt_tokens or sent
            self.result.answer_tokens += usage.output_tokens or estimate_tokens(text)
            self.result.seconds += usage.seconds or 0.0
            self.result.answer_seconds += usage.output_seconds or 0.0
        if calibrate:
            self.calibration.record(sent, usage.prompt_tokens)
        if loop.looping:
            return text, (
                "the answer started repeating itself and was stopped: write each text once, "
                "and keep every text short"
            )
        if usage.stop_reason == "length":
            return text, (
                f"the answer was cut off at the {predict:,}-token limit: keep every text short "
                "(one sentence per claim)"
            )
        return text, ""


def _opening(prompt: str) -> list[dict[str, str]]:
    """A call's first messages: the run's one system text, then ``prompt`` (which starts with
    the study prefix): every call of a run shares them up to what it asks for."""
    return [{"role": "system", "content": prompts.SYSTEM}, {"role": "user", "content": prompt}]


def _tokens(messages: Sequence[Mapping[str, str]]) -> int:
    return sum(estimate_tokens(m["content"]) for m in messages)


def _span(chunk: Sequence[Passage]) -> str:
    first, last = chunk[0], chunk[-1]
    if first.source == last.source:
        return f"{first.source}, {first.locator} to {last.locator}"
    return f"{first.source} {first.locator} to {last.source} {last.locator}"


def _bounded(finding: Finding, bound: int) -> Finding:
    """The finding with its statement trimmed until its prompt line fits ``bound`` tokens."""
    statement = finding.statement
    while estimate_tokens(prompts.format_finding(finding)) > bound and len(statement) > 20:
        statement = statement[: int(len(statement) * 0.8)].rsplit(" ", 1)[0] + "…"
        finding = finding.model_copy(update={"statement": statement})
    if len(finding.participant) > 40:
        finding = finding.model_copy(update={"participant": finding.participant[:40]})
    return finding


def _findings_tokens(findings: Sequence[Finding]) -> int:
    return estimate_tokens(prompts.format_findings(findings))


def _batches(findings: Sequence[Finding], size: int, bound: int) -> list[list[Finding]]:
    """Findings in order, split evenly into as few batches of at most ``size`` as possible."""
    count = -(-len(findings) // max(size, 2))
    per = -(-len(findings) // count)
    return [list(findings[i : i + per]) for i in range(0, len(findings), per)]
