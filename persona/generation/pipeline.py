"""A local run from start to finish: read → plan → generate → save → verify → save.

Each persona is stored the moment it exists, so a closed tab, a crash in a later step or
a server restart loses nothing. Pages and the CLI both drive `LocalRun.events()`.
"""

from __future__ import annotations

from collections.abc import Iterator

from persona.core.coverage import speakers
from persona.core.errors import GenerationError, PersonaError
from persona.core.progress import Progress
from persona.core.records import FileRef, PersonaRecord, Run, suggest_study
from persona.engines.base import Engine
from persona.generation.evidence import summarize, verify_personas
from persona.generation.generate import Generation, GenerationRequest
from persona.generation.language import with_language
from persona.generation.planner import Plan
from persona.generation.research import keep_copy
from persona.history.store import Store
from persona.ingest import Reading
from persona.ingest.columns import Choices, choices_to_options


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


class LocalRun:
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
    ) -> None:
        self.reading = reading
        self.store = store
        request = with_language(request, reading.passages)
        self.generation = Generation(engine, reading.passages, request, plan)
        self.run = Run(
            kind="hybrid" if frontier_model else "local",
            frontier_model=frontier_model,
            model=request.model,
            engine=engine.label,
            options={
                "count": request.count,
                "context": request.context,
                "temperature": request.temperature,
                "seed": request.seed,
                "num_ctx": self.generation.plan.num_ctx,
                "plan": self.generation.plan.describe(),
                "language": request.language,
                "columns": choices_to_options(columns),
            },
            files=file_refs(reading),
            research_text=keep_copy(reading.passages) if keep_research_text else None,
            speakers=speakers(reading.passages),
            study=study.strip() or suggest_study([d.name for d in reading.documents]),
        )

    def events(self) -> Iterator[Progress]:
        """Run it, yielding progress; the outcome is in ``self.run`` (also in the store)."""
        self.store.start(self.run)
        finished = False
        try:
            yield from self.generation.run()
            personas = self.generation.result.personas
            for persona in personas:
                record = PersonaRecord(draft=persona)
                self.run.records.append(record)
                self.store.add_record(self.run.id, record)
            yield Progress("verify", "Checking every quote against your data", fraction=1.0)
            for index, persona in enumerate(verify_personas(personas, self.reading.passages)):
                self.run.records[index] = PersonaRecord(draft=persona)
                self.store.update_record(self.run.id, index, self.run.records[index])
            warnings = self.generation.result.warnings
            self._finish("partial" if warnings else "complete", " ".join(warnings))
            finished = True
            summary = summarize(self.run.personas)
            yield Progress("done", f"{len(personas)} personas · {summary.text}", fraction=1.0)
        except PersonaError as exc:
            if isinstance(exc, GenerationError) and exc.raw:
                self.generation.result.raw_answers.append(exc.raw)
            self._finish("partial" if self.run.records else "failed", str(exc))
            finished = True
            raise
        finally:
            if not finished:
                self._finish("interrupted", "Stopped before it finished; what was made is kept.")

    def _finish(self, status: str, message: str) -> None:
        result = self.generation.result
        self.run.status = status  # type: ignore[assignment]
        self.run.message = message
        self.run.raw_answers = list(dict.fromkeys(result.raw_answers))
        self.run.usage = {
            "calls": result.calls,
            "prompt_tokens": result.prompt_tokens,
            "answer_tokens": result.answer_tokens,
            "seconds": round(result.seconds, 3),
            "answer_seconds": round(result.answer_seconds, 3),
        }
        self.store.finish(
            self.run.id,
            status,
            message=message,
            usage=self.run.usage,
            raw_answers=self.run.raw_answers,
        )
