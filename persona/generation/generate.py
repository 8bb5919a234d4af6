"""Ask the local model for personas: evidence by reference, per-persona validation, repair.

`Generation.events()` yields `Progress` events (steps, streamed text, each persona as it is
kept) and leaves the outcome in `Generation.result`. Large corpora go through findings (map,
:mod:`persona.generation.mapping`) → bounded merges (:mod:`persona.generation.merges`) →
personas (reduce, :mod:`persona.generation.writing`). Calls that are independent run up to
``parallel`` at once (:mod:`persona.generation.concurrent`): the chunks, the merges of a
round, and persona calls that each write from their own share of the findings; each persona
call has its own seed, derived from the run's, and results are taken in call order, so a
seeded run gives the same personas whatever ``parallel`` is.

What the model writes is read leniently and checked strictly: every rule is in the schema or
the prompt; valid personas are kept and only invalid or degenerate ones are sent back; a cut or
looping answer still yields every persona it completed; every quote is filled in from the
research passages by ID, so it is word for word by construction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from persona.core.documents import Passage, with_passage_ids
from persona.core.progress import Progress
from persona.core.tokens import Calibration
from persona.engines.base import Engine
from persona.generation import planner, prompts
from persona.generation.mapping import read_chunks
from persona.generation.merges import shares
from persona.generation.planner import Plan
from persona.generation.references import participant_names
from persona.generation.request import GenerationRequest
from persona.generation.result import ChunkFindings, GenerationResult
from persona.generation.state import RunState
from persona.generation.strategy import Strategy, strategy_for
from persona.generation.tracker import Tracker, monotonic
from persona.generation.writing import write_personas
from persona.generation.writing_parts import write_by_parts
from persona.history.speeds import ModelSpeed


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
        passages = with_passage_ids(passages)
        strategy: Strategy = strategy_for(engine.describe(request.model))
        self.by_parts = strategy.by_parts and request.per_call is None
        """Personas written part by part (:mod:`persona.generation.parts`), unless the user
        chose how many personas each call writes."""
        self.saved = list(saved)
        covered = [pid for chunk in self.saved for pid in chunk.passages]
        self.plan = plan or planner.plan(
            engine,
            passages,
            request,
            speed=speed,
            covered=covered,
            saved_findings=sum(len(chunk.findings) for chunk in self.saved),
        )
        self.result = GenerationResult(personas=[], plan=self.plan, chunks=list(self.saved))
        self.on_chunk = on_chunk
        self._run = RunState(
            engine=engine,
            request=request,
            plan=self.plan,
            strategy=strategy,
            by_id={p.id: p for p in passages},
            names=participant_names(passages),
            result=self.result,
            tracker=Tracker(self.plan.calls, self.plan.estimated_seconds),
            num_ctx=self.plan.num_ctx,
        )
        self._run.register(self.plan.chunks)

    @property
    def strategy(self) -> Strategy:
        return self._run.strategy

    @property
    def calibration(self) -> Calibration:
        return self._run.calibration

    def events(self) -> Iterator[Progress]:
        """Yield progress while generating; the personas end up in ``self.result``.

        The fraction and the count of calls done never go back (see
        :func:`~persona.generation.tracker.monotonic`) and the fraction reaches 1 only at
        the end."""
        return monotonic(self._events())

    def _events(self) -> Iterator[Progress]:
        run = self._run
        run.tracker.start()
        plan_ = self.plan
        request = run.request
        yield Progress("plan", plan_.describe(), fraction=0.0, eta=plan_.estimated_seconds)
        try:
            names = prompts.names_clause(run.names)
            if plan_.mode == "single" and self.by_parts:
                personas = yield from write_by_parts(run, plan_.chunks[0], names)
            elif plan_.mode == "single":
                citable = [p.id for p in plan_.chunks[0] if p.citable]
                personas = yield from write_personas(
                    run,
                    lambda _call, count, written: prompts.personas_prompt(
                        plan_.chunks[0],
                        count,
                        request.context,
                        written,
                        names=names,
                        claims=run.strategy.claims,
                        language=request.language,
                    ),
                    lambda _call: citable,
                    independent=False,
                )
            else:
                findings = yield from read_chunks(run, self.saved, self.on_chunk)
                given = yield from shares(run, findings)
                personas = yield from write_personas(
                    run,
                    lambda call, count, written: prompts.synthesis_prompt(
                        given[call % len(given)],
                        count,
                        request.context,
                        written,
                        names=names,
                        claims=run.strategy.claims,
                        language=request.language,
                    ),
                    lambda call: list(
                        dict.fromkeys(pid for f in given[call % len(given)] for pid in f.passages)
                    ),
                    independent=len(given) > 1,
                )
        finally:
            run.cancel.set()
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
