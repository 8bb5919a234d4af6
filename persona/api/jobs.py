"""Long work in the background: a job survives reruns and page changes, and can be stopped."""

from __future__ import annotations

from persona.core.background import Worker
from persona.core.crashlog import log_unexpected

__all__ = [
    "Worker",
    "log_unexpected",
]
