"""The map phase: the findings of every chunk of the data, several chunks at once.

Chunks are sent up to ``parallel`` at once (:func:`persona.generation.concurrent.schedule`);
a chunk too long for the model is split in two, a chunk that fails is tried again
(``chunk_retries``) and then reported, and each chunk's findings are handed to ``on_chunk``
(saved) the moment they exist. The first chunk calibrates the token estimate: until it is
done no more than one wave is sent, and the chunks not yet sent are re-planned when the model
counts more tokens than estimated.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from functools import partial

from persona.core.documents import Passage
from persona.core.errors import GenerationError, PersonaError, PromptTruncated
from persona.core.progress import Progress
from persona.generation import prompts
from persona.generation.chunking import chunk_passages
from persona.generation.concurrent import Job, schedule
from persona.generation.findings import ask_findings
from persona.generation.planner import chunk_capacity, prompt_overhead
from persona.generation.references import Finding
from persona.generation.result import ChunkFindings
from persona.generation.state import RunState

Key = tuple[int, ...]
"""A chunk's index, then the halves it was split into (``(3, 1)``: the second half of the
fourth chunk)."""
FIRST: Key = (0,)


class _Chunks:
    """The chunks of one map phase not read yet, each as a job of the scheduler."""

    def __init__(self, run: RunState) -> None:
        self.run = run
        self.total = len(run.plan.chunks)
        self.open: dict[Key, tuple[Passage, ...]] = {}
        """Chunks queued or under way, by key."""
        self.pending: deque[Job[ChunkFindings]] = deque(
            self.job((index,), chunk) for index, chunk in enumerate(run.plan.chunks)
        )

    def job(self, key: Key, chunk: tuple[Passage, ...]) -> Job[ChunkFindings]:
        self.open[key] = chunk
        label = f"Reading part {key[0] + 1} of {self.total} ({_span(chunk)})"
        return Job(key, partial(_chunk_findings, self.run, key, chunk, label))

    def first_done(self) -> bool:
        """Whether the first chunk (and the halves it was split into) is done."""
        return not any(key[:1] == FIRST for key in self.open)

    def replan(self, chunks: Sequence[tuple[Passage, ...]]) -> None:
        """Replace the chunks not sent yet with ``chunks``."""
        first = self.pending[0].key
        for job in self.pending:
            del self.open[job.key]
        self.pending.clear()
        self.pending.extend(self.job((*first, i), chunk) for i, chunk in enumerate(chunks))


def read_chunks(
    run: RunState,
    saved: Sequence[ChunkFindings],
    on_chunk: Callable[[ChunkFindings], None] | None,
) -> Generator[Progress, None, list[Finding]]:
    """Findings of every chunk, in chunk order; ``saved`` chunks (a resumed run) are reused."""
    queue = _Chunks(run)
    total = queue.total
    results: dict[Key, ChunkFindings] = {}
    failures: list[str] = []
    attempts: dict[Key, int] = {}
    parallel = run.request.parallel
    # The first chunk calibrates the token estimate: until it is done, no more than one
    # wave is sent, so a seeded run plans (and answers) the same whatever the timing.
    calibrated = False

    def hold(running: int, started: int) -> bool:
        return not calibrated and started >= parallel and running > 0

    def handle(job: Job[ChunkFindings], outcome: ChunkFindings | Exception) -> Iterator[Progress]:
        nonlocal calibrated
        key, chunk = job.key, queue.open.pop(job.key)
        if isinstance(outcome, ChunkFindings):
            results[key] = outcome
            run.result.chunks.append(outcome)
            if on_chunk is not None:
                on_chunk(outcome)
            run.tracker.step_done()
            yield run.event("generate", f"Read part {key[0] + 1} of {total}")
        elif isinstance(outcome, PromptTruncated) and len(chunk) > 1:
            half = len(chunk) // 2
            queue.pending.extendleft(
                [queue.job((*key, 1), chunk[half:]), queue.job((*key, 0), chunk[:half])]
            )
            run.tracker.plan_changed(1)
            yield run.event(
                "warning", f"Part {key[0] + 1} was too long for the model: split in two"
            )
        elif isinstance(outcome, PersonaError) and attempts.get(key, 0) < (
            run.request.chunk_retries
        ):
            attempts[key] = attempts.get(key, 0) + 1
            queue.pending.appendleft(queue.job(key, chunk))
            yield run.event(
                "repair", f"Part {key[0] + 1} of {total} failed ({outcome}); trying again"
            )
        elif isinstance(outcome, PersonaError):
            run.tracker.step_done()
            run.result.failed_chunks += 1
            failures.append(
                f"Part {key[0] + 1} of {total} ({_span(chunk)}) could not be "
                f"analysed, so the personas do not reflect it: {outcome}"
            )
            if isinstance(outcome, GenerationError) and outcome.raw:
                run.result.raw_answers.append(outcome.raw)
            yield run.event("warning", failures[-1])
        else:
            raise outcome
        if not calibrated and queue.first_done():
            calibrated = True
            yield from _recalibrate(run, queue)

    yield from schedule(queue.pending, parallel, run.cancel, handle, hold)
    run.result.warnings.extend(failures)
    kept = [f for chunk in saved for f in chunk.findings]
    findings = kept + [f for key in sorted(results) for f in results[key].findings]
    if not findings:
        raise GenerationError(
            "The model found nothing usable in any part of the data. Try a larger model.",
            raw="\n\n".join(run.result.raw_answers[-1:]),
        )
    return findings


def _recalibrate(run: RunState, queue: _Chunks) -> Iterator[Progress]:
    """Re-plan the chunks not yet sent when the model counts more tokens than estimated."""
    factor = run.calibration.factor
    if factor <= 1.0 or not queue.pending:
        return
    plan = run.plan
    overhead = prompt_overhead(
        prompts.findings_prompt([], run.request.context, limit=12, language=run.request.language)
    )
    capacity = chunk_capacity(plan.context_limit, plan.findings_tokens, int(overhead * factor))
    passages = [p for job in queue.pending for p in queue.open[job.key]]
    chunks, _split = chunk_passages(passages, max(capacity, 200), factor)
    run.register(chunks)
    added = len(chunks) - len(queue.pending)
    queue.replan(chunks)
    if added > 0:
        run.tracker.plan_changed(added)
        yield run.event(
            "plan",
            f"This model counts about {factor:.2f}× the estimated tokens: the remaining "
            f"data is re-planned into {len(chunks)} chunks ({added} more calls).",
        )


def _chunk_findings(
    run: RunState, key: Key, chunk: tuple[Passage, ...], label: str
) -> Generator[Progress, None, ChunkFindings]:
    """One chunk's findings (a step of the scheduler)."""
    limit = run.plan.findings_limit or 12
    allowed = [p.id for p in chunk if p.citable]
    findings = yield from ask_findings(
        run,
        prompts.findings_prompt(
            chunk, run.request.context, limit=limit, language=run.request.language
        ),
        allowed,
        limit,
        label,
        calibrate=key[:1] == FIRST,
    )
    return ChunkFindings(key[0], tuple(p.id for p in chunk), tuple(findings))


def _span(chunk: Sequence[Passage]) -> str:
    first, last = chunk[0], chunk[-1]
    if first.source == last.source:
        return f"{first.source}, {first.locator} to {last.locator}"
    return f"{first.source} {first.locator} to {last.source} {last.locator}"
