"""A local run from start to finish: read → plan → generate → verify and save each persona.

Each chunk's findings and each persona (its quotes checked) are stored the moment they
exist, so a closed tab, a crash in a later step or a server restart loses nothing, and a
map-reduce run that stopped can be resumed (:meth:`SavedGeneration.resume`), making only the
calls that are missing. Pages and the CLI both drive `SavedGeneration.events()`, whose
``persona`` events carry each persona, checked, as it is saved.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import replace

from persona.core.coverage import speakers
from persona.core.errors import GenerationError, InputError, PersonaError
from persona.core.progress import Progress
from persona.core.records import (
    FileRef,
    PersonaRecord,
    Run,
    RunStatus,
    RunUsage,
    suggest_study,
)
from persona.core.run_warnings import join_warnings
from persona.core.schema import Persona
from persona.core.verdicts import run_summary
from persona.engines.base import Engine
from persona.generation.checks import check_personas
from persona.generation.generate import Generation
from persona.generation.language import with_language
from persona.generation.planner import Plan
from persona.generation.references import Finding
from persona.generation.request import GenerationRequest
from persona.generation.research import keep_copy
from persona.generation.result import ChunkFindings
from persona.history.speeds import expected_speed
from persona.history.store import Store
from persona.ingest import Reading
from persona.ingest.interviewers import interviewers_of
from persona.ingest.report import number_passages
from persona.ingest.roles import Choices, choices_to_options

RESUMABLE = ("failed", "interrupted")


def file_refs(reading: Reading) -> list[FileRef]:
    """Name, hash and size of every file that was read (never its content)."""
    return [
        FileRef(
            name=d.name,
            sha256=d.sha256,
            size_bytes=d.size_bytes,
            kind=d.kind,
            passages=len(d.passages),
        )
        for d in reading.documents
    ]


def can_resume(run: Run, store: Store) -> bool:
    """Whether ``run`` stopped with findings saved and no personas yet (so resuming helps)."""
    return run.status in RESUMABLE and not run.records and bool(store.chunks(run.id))


class SavedGeneration:
    """Generate personas locally and keep them in History as they appear.

    With ``frontier_model`` the run is recorded as the draft stage of a hybrid run. The run
    belongs to ``study`` (else one named after the files) and records the sheets and column
    roles chosen for tables (``columns``), so the files can be read the same way again.
    """

    def __init__(
        self,
        engine: Engine,
        reading: Reading,
        request: GenerationRequest,
        store: Store,
        *,
        plan: Plan | None = None,
        keep_research_text: bool = False,
        frontier_model: str | None = None,
        study: str = "",
        columns: Choices | None = None,
        run: Run | None = None,
        saved: tuple[ChunkFindings, ...] = (),
    ) -> None:
        self.reading = reading
        self.store = store
        request = with_language(request, reading.passages)
        speed = expected_speed(store, request.model, engine.describe(request.model).parameters)
        self.generation = Generation(
            engine,
            reading.passages,
            request,
            plan,
            speed=speed,
            saved=saved,
            on_chunk=self._save_chunk,
        )
        self.resumed = run is not None
        self._drafts: list[Persona] = []
        """The personas the generation handed over so far, as written."""
        self._earlier_usage = run.usage if run is not None else RunUsage()
        self.run = run or Run(
            kind="hybrid" if frontier_model else "local",
            frontier_model=frontier_model,
            model=request.model,
            engine=engine.label,
            options=request.to_options(
                num_ctx=self.generation.plan.num_ctx,
                plan=self.generation.plan.describe(),
                columns=choices_to_options(columns),
                interviewers=interviewers_of(reading),
            ),
            files=file_refs(reading),
            research_text=keep_copy(reading.passages) if keep_research_text else None,
            speakers=speakers(reading.passages),
            study=study.strip() or suggest_study([d.name for d in reading.documents]),
        )

    @classmethod
    def resume(cls, engine: Engine, reading: Reading, store: Store, run_id: str) -> SavedGeneration:
        """Continue a failed or interrupted map-reduce run from its saved findings.

        ``reading`` must hold the run's files (same content, any order). Only the chunks with
        no saved findings, the merges and the persona calls are made.
        """
        run = store.get(run_id)
        if run.status not in RESUMABLE or run.records:
            raise InputError(
                f"Run {run_id} finished ({run.status}) with its personas: there is nothing to "
                "resume. Start a new run instead."
            )
        saved = store.chunks(run_id)
        if not saved:
            raise InputError(
                f"Run {run_id} saved no findings before it stopped, so there is nothing to "
                "resume from. Start a new run with the same files instead."
            )
        ordered = _same_files(run, reading)
        request = GenerationRequest.from_options(run.model, run.options)
        chunks = tuple(
            ChunkFindings(
                index,
                tuple(passages),
                tuple(Finding.model_validate(f) for f in findings),
            )
            for index, passages, findings in saved
        )
        return cls(engine, ordered, request, store, run=run, saved=chunks)

    def _keep(self, persona: Persona) -> Persona:
        """``persona`` checked against the data and the personas before it (the same checks
        as every version: :func:`~persona.generation.checks.check_personas`), saved in
        History."""
        self._drafts.append(persona)
        checked = check_personas(self._drafts, self.reading.passages)[-1]
        record = PersonaRecord(draft=checked)
        self.run.records.append(record)
        self.store.add_record(self.run.id, record)
        return checked

    def _save_chunk(self, chunk: ChunkFindings) -> None:
        self.store.save_chunk(
            self.run.id,
            list(chunk.passages),
            [f.model_dump(mode="json") for f in chunk.findings],
        )

    def events(self) -> Generator[Progress, None, None]:
        """Run it, yielding progress; the outcome is in ``self.run`` (also in the store)."""
        if self.resumed:
            self.run.status = "running"
            self.store.save(self.run)
            saved = len(self.generation.saved)
            yield Progress(
                "plan",
                f"Resuming: the findings of {saved} chunk(s) are kept; only the missing calls "
                "are made.",
                fraction=0.0,
            )
        else:
            self.store.start(self.run)
        finished = False
        try:
            for event in self.generation.events():
                if event.persona is not None:  # checked and saved the moment it is written
                    event = replace(event, persona=self._keep(event.persona))
                yield event
            warnings = self.generation.result.warnings
            self._finish("partial" if warnings else "complete", join_warnings(warnings))
            finished = True
            summary = run_summary(self.run.personas)
            yield Progress("done", summary.text, fraction=1.0)
        except PersonaError as exc:
            if isinstance(exc, GenerationError) and exc.raw:
                self.generation.result.raw_answers.append(exc.raw)
            message = str(exc)
            if self.generation.result.chunks and not self.run.records:
                message += (
                    f" The findings of {len(self.generation.result.chunks)} part(s) are saved: "
                    f"resume the run from History (or `persona resume {self.run.id}`) to make "
                    "only the missing calls."
                )
            self._finish("partial" if self.run.records else "failed", message)
            finished = True
            raise
        finally:
            if not finished:
                self._finish("interrupted", "Stopped before it finished; what was made is kept.")

    def _finish(self, status: RunStatus, message: str) -> None:
        result = self.generation.result
        earlier = self._earlier_usage
        self.run.status = status
        self.run.message = message
        self.run.raw_answers = list(dict.fromkeys([*self.run.raw_answers, *result.raw_answers]))
        self.run.usage = RunUsage(
            calls=result.calls + earlier.calls,
            prompt_tokens=result.prompt_tokens + earlier.prompt_tokens,
            answer_tokens=result.answer_tokens + earlier.answer_tokens,
            seconds=round(result.seconds + earlier.seconds, 3),
            answer_seconds=round(result.answer_seconds + earlier.answer_seconds, 3),
            failed_chunks=result.failed_chunks,
            dropped_ids=result.dropped_ids,
        )
        self.store.finish(
            self.run.id,
            status,
            message=message,
            usage=self.run.usage.model_dump(mode="json"),
            raw_answers=self.run.raw_answers,
        )


def _same_files(run: Run, reading: Reading) -> Reading:
    """``reading`` ordered as the run read its files, with the same passage IDs, or an
    InputError naming what is missing."""
    by_hash = {d.sha256: d for d in reading.documents}
    missing = [f.name for f in run.files if f.sha256 not in by_hash]
    if missing:
        raise InputError(
            "To resume, give the same files the run read; these are missing or changed: "
            + ", ".join(missing)
            + "."
        )
    ordered = Reading(
        documents=[by_hash[f.sha256] for f in run.files],
        reports=list(reading.reports),
    )
    return number_passages(ordered)
