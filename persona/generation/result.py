"""What a generation run made: its personas, the findings of each chunk, what it cost."""

from __future__ import annotations

from dataclasses import dataclass, field

from persona.core.schema import Persona
from persona.generation.planner import Plan
from persona.generation.references import Finding


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
