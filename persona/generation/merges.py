"""The reduce phase's merges: findings condensed, round by round, until they fit the persona
calls, and shared out when several persona calls each write from their own share."""

from __future__ import annotations

from collections.abc import Generator, Iterable, Sequence
from functools import partial

from persona.core.errors import GenerationError, PersonaError
from persona.core.progress import Progress
from persona.core.tokens import estimate_tokens
from persona.generation import prompts
from persona.generation.concurrent import Step, run_steps
from persona.generation.findings import ask_findings
from persona.generation.groups import share_out
from persona.generation.planner import SAFETY, merge_output_limit, prompt_overhead
from persona.generation.references import Finding
from persona.generation.state import RunState


def shares(
    run: RunState, findings: list[Finding]
) -> Generator[Progress, None, list[list[Finding]]]:
    """The findings each persona call writes from: with several calls, each its own share
    (:func:`~persona.generation.groups.share_out`); else all of them in one call."""
    room = _synthesis_room(run)
    calls = run.plan.persona_calls
    bound = run.plan.finding_tokens or room // 2
    pool = calls * (room - bound - _findings_tokens([]))
    if calls > 1 and pool > room:  # else the shares would hold less than one call
        findings = yield from condense(run, findings, pool)
        if len(findings) >= calls:
            return share_out(findings, calls, room, _findings_tokens)
    findings = yield from condense(run, findings, room)
    return [findings]


def _synthesis_room(run: RunState) -> int:
    """Tokens the findings may take in one persona call."""
    plan = run.plan
    if plan.synthesis_findings:
        return plan.synthesis_findings * plan.finding_tokens
    request = run.request
    overhead = prompt_overhead(
        prompts.synthesis_prompt(
            [],
            request.count,
            request.context,
            names=prompts.names_clause(run.names),
            claims=run.strategy.claims,
            language=request.language,
        )
    )
    return int((plan.context_limit - plan.answer_tokens - overhead) / SAFETY)


def condense(
    run: RunState, findings: list[Finding], room: int
) -> Generator[Progress, None, list[Finding]]:
    """Merge findings, round by round, until they fit ``room`` tokens."""
    request = run.request
    bound = run.plan.finding_tokens or 10**6
    findings = [_bounded(f, bound) for f in findings]
    batch_size = run.plan.merge_batch or 2
    round_ = 0
    while _findings_tokens(findings) > room and len(findings) > 1:
        round_ += 1
        batches = _batches(findings, batch_size)
        merging = [(n, batch) for n, batch in enumerate(batches, start=1) if len(batch) > 1]
        steps: list[Step[list[Finding]]] = [
            partial(
                ask_findings,
                run,
                prompts.merge_prompt(
                    batch,
                    request.context,
                    limit=merge_output_limit(len(batch)),
                    language=request.language,
                ),
                list(dict.fromkeys(pid for f in batch for pid in f.passages)),
                merge_output_limit(len(batch)),
                f"Merging findings, round {round_}, batch {n} of {len(batches)}",
                calibrate=len(merging) == 1,  # else the order they finish in would count
            )
            for n, batch in merging
        ]
        answers = iter((yield from run_steps(steps, request.parallel, run.cancel, _counted(run))))
        merged: list[Finding] = []
        for batch in batches:
            if len(batch) == 1:
                merged.extend(batch)
                continue
            limit = merge_output_limit(len(batch))
            answer = next(answers)
            if isinstance(answer, GenerationError):
                run.result.warnings.append(
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


def _counted(run: RunState) -> partial[Iterable[Progress]]:
    """A call of a concurrent round is done (its result is read in order afterwards)."""
    return partial(_step_done, run)


def _step_done(run: RunState, _index: int, _outcome: object) -> Iterable[Progress]:
    run.tracker.step_done()
    return ()


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


def _batches(findings: Sequence[Finding], size: int) -> list[list[Finding]]:
    """Findings in order, split evenly into as few batches of at most ``size`` as possible."""
    count = -(-len(findings) // max(size, 2))
    per = -(-len(findings) // count)
    return [list(findings[i : i + per]) for i in range(0, len(findings), per)]
