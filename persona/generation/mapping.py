"""The map phase: the findings of every chunk of the data, several chunks at once.

Chunks are sent up to ``parallel`` at once; a chunk too long for the model is split in two, a
chunk that fails is tried again (``chunk_retries``) and then reported, and each chunk's
findings are handed to ``on_chunk`` (saved) the moment they exist. The first chunk
calibrates the token estimate: until it is done no more than one wave is sent, and the chunks
not yet sent are re-planned when the model counts more tokens than estimated.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from queue import SimpleQueue

from persona.core.documents import Passage
from persona.core.errors import GenerationError, PersonaError, PromptTruncated
from persona.core.progress import Progress
from persona.generation import prompts
from persona.generation.calls import Cancelled
from persona.generation.chunking import chunk_passages
from persona.generation.concurrent import drain, queued
from persona.generation.findings import ask_findings
from persona.generation.planner import chunk_capacity, prompt_overhead
from persona.generation.references import Finding
from persona.generation.result import ChunkFindings
from persona.generation.state import RunState

Pending = deque[tuple[tuple[int, ...], tuple[Passage, ...]]]
"""Chunks not sent yet: their key (the chunk's index, then the halves it was split into)."""


def read_chunks(
    run: RunState,
    saved: Sequence[ChunkFindings],
    on_chunk: Callable[[ChunkFindings], None] | None,
) -> Generator[Progress, None, list[Finding]]:
    """Findings of every chunk, in chunk order; ``saved`` chunks (a resumed run) are reused."""
    plan = run.plan
    total = len(plan.chunks)
    pending: Pending = deque(((index,), chunk) for index, chunk in enumerate(plan.chunks))
    results: dict[tuple[int, ...], ChunkFindings] = {}
    failures: list[str] = []
    attempts: dict[tuple[int, ...], int] = {}
    events: SimpleQueue[Progress] = SimpleQueue()
    parallel = run.request.parallel
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
                future = pool.submit(_chunk_findings, run, key, chunk, label, events, show_text)
                running[future] = (key, chunk)
                submitted += 1
            yield from queued(events)
            finished, _ = wait(list(running), timeout=0.05, return_when=FIRST_COMPLETED)
            for future in sorted(finished, key=lambda f: running[f][0]):
                key, chunk = running.pop(future)
                error = future.exception()
                if error is None:
                    chunk_findings = future.result()
                    results[key] = chunk_findings
                    run.result.chunks.append(chunk_findings)
                    if on_chunk is not None:
                        on_chunk(chunk_findings)
                    run.tracker.step_done()
                    yield run.event("generate", f"Read part {key[0] + 1} of {total}")
                elif isinstance(error, Cancelled):
                    raise error
                elif isinstance(error, PromptTruncated) and len(chunk) > 1:
                    half = len(chunk) // 2
                    pending.extendleft([((*key, 1), chunk[half:]), ((*key, 0), chunk[:half])])
                    run.tracker.plan_changed(1)
                    yield run.event(
                        "warning", f"Part {key[0] + 1} was too long for the model: split in two"
                    )
                elif isinstance(error, PersonaError) and attempts.get(key, 0) < (
                    run.request.chunk_retries
                ):
                    attempts[key] = attempts.get(key, 0) + 1
                    pending.appendleft((key, chunk))
                    yield run.event(
                        "repair", f"Part {key[0] + 1} of {total} failed ({error}); trying again"
                    )
                elif isinstance(error, PersonaError):
                    run.tracker.step_done()
                    run.result.failed_chunks += 1
                    failures.append(
                        f"Part {key[0] + 1} of {total} ({_span(chunk)}) could not be "
                        f"analysed, so the personas do not reflect it: {error}"
                    )
                    if isinstance(error, GenerationError) and error.raw:
                        run.result.raw_answers.append(error.raw)
                    yield run.event("warning", failures[-1])
                else:
                    raise error
                first = (0,)
                if (
                    not calibrated
                    and not any(k[:1] == first for k, _ in running.values())
                    and (not any(k[:1] == first for k, _ in pending))
                ):
                    calibrated = True
                    yield from _recalibrate(run, pending)
    finally:
        if running:
            run.cancel.set()  # closed or failed: stop what is outstanding
        pool.shutdown(wait=False, cancel_futures=True)
    run.result.warnings.extend(failures)
    kept = [f for chunk in saved for f in chunk.findings]
    findings = kept + [f for key in sorted(results) for f in results[key].findings]
    if not findings:
        raise GenerationError(
            "The model found nothing usable in any part of the data. Try a larger model.",
            raw="\n\n".join(run.result.raw_answers[-1:]),
        )
    return findings


def _recalibrate(run: RunState, pending: Pending) -> Iterator[Progress]:
    """Re-plan the chunks not yet sent when the model counts more tokens than estimated."""
    factor = run.calibration.factor
    if factor <= 1.0 or not pending:
        return
    plan = run.plan
    overhead = prompt_overhead(
        prompts.findings_prompt([], run.request.context, limit=12, language=run.request.language)
    )
    capacity = chunk_capacity(plan.context_limit, plan.findings_tokens, int(overhead * factor))
    passages = [p for _, chunk in pending for p in chunk]
    first = pending[0][0]
    chunks, _split = chunk_passages(passages, max(capacity, 200), factor)
    run.register(chunks)
    added = len(chunks) - len(pending)
    pending.clear()
    pending.extend(((*first, i), chunk) for i, chunk in enumerate(chunks))
    if added > 0:
        run.tracker.plan_changed(added)
        yield run.event(
            "plan",
            f"This model counts about {factor:.2f}× the estimated tokens: the remaining "
            f"data is re-planned into {len(chunks)} chunks ({added} more calls).",
        )


def _chunk_findings(
    run: RunState,
    key: tuple[int, ...],
    chunk: tuple[Passage, ...],
    label: str,
    events: SimpleQueue[Progress],
    show_text: bool,
) -> ChunkFindings:
    """One chunk's findings (runs in a worker thread; events go to ``events``)."""
    limit = run.plan.findings_limit or 12
    allowed = [p.id for p in chunk if p.citable]
    findings = drain(
        ask_findings(
            run,
            prompts.findings_prompt(
                chunk, run.request.context, limit=limit, language=run.request.language
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


def _span(chunk: Sequence[Passage]) -> str:
    first, last = chunk[0], chunk[-1]
    if first.source == last.source:
        return f"{first.source}, {first.locator} to {last.locator}"
    return f"{first.source} {first.locator} to {last.source} {last.locator}"
