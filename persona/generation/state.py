"""What every part of one generation run shares: the engine, the request, the plan, the
passages by ID, the result so far, and the locks and counters its worker threads use."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from persona.core.documents import Passage
from persona.core.progress import Progress, Stage
from persona.core.schema import Persona
from persona.core.tokens import Calibration
from persona.engines.base import Engine
from persona.generation.planner import Plan
from persona.generation.request import GenerationRequest
from persona.generation.result import GenerationResult
from persona.generation.strategy import Strategy
from persona.generation.tracker import Tracker


@dataclass(eq=False)
class RunState:
    """One run's shared state (thread-safe where worker threads touch it)."""

    engine: Engine
    request: GenerationRequest
    plan: Plan
    strategy: Strategy
    by_id: dict[str, Passage]
    """Every citable passage by ID, parts of split passages (``P17.2``) included."""
    names: list[str]
    """The study's participants (what persona names must not be)."""
    result: GenerationResult
    tracker: Tracker
    calibration: Calibration = field(default_factory=Calibration)
    lock: threading.Lock = field(default_factory=threading.Lock)
    cancel: threading.Event = field(default_factory=threading.Event)
    """Set when the run is closed or failed: the model calls under way stop."""
    num_ctx: int = 0
    """The ``num_ctx`` of the run's calls so far (see :meth:`context_for`)."""

    def register(self, chunks: Iterable[Sequence[Passage]]) -> None:
        """Make the parts of passages split to fit a chunk (``P17.2``) citable by their IDs."""
        for chunk in chunks:
            for passage in chunk:
                self.by_id.setdefault(passage.id, passage)

    def context_for(self, needed: int) -> int:
        """The ``num_ctx`` of a call that needs ``needed``: one for the whole run, the plan's
        (its estimate errs high), grown when a call needs more and never shrunk. Ollama
        reloads a model whose ``num_ctx`` changes, and loses the prompt cache with it."""
        with self.lock:
            self.num_ctx = max(self.num_ctx, needed)
            return self.num_ctx

    def seed(self, call: int) -> int | None:
        """Each persona call's own seed, derived from the run's: calls that run at once
        must not write the same answer, and the same seed must give the same personas."""
        return None if self.request.seed is None else self.request.seed + call

    def dropped(self, citations: int) -> None:
        """Count citations of passages that do not exist (or are not evidence)."""
        with self.lock:
            self.result.dropped_ids += citations

    def keep_answer(self, text: str) -> None:
        """Keep a model answer that was not usable, for inspection."""
        with self.lock:
            self.result.raw_answers.append(text)

    def event(
        self, stage: Stage, message: str, text: str = "", persona: Persona | None = None
    ) -> Progress:
        return self.tracker.event(stage, message, text, persona)

    def persona_ready(self, persona: Persona, number: int) -> Progress:
        return self.event(
            "persona", f"Persona {number} of {self.request.count} written", persona=persona
        )
