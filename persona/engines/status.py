"""Is the chosen engine there, and does it work? The verdict of "Test connection"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from persona.core.errors import EngineNotInstalled, EngineUnreachable, PersonaError
from persona.engines.base import Engine, ModelInfo

State = Literal["ready", "unreachable", "failing", "not installed"]


@dataclass(frozen=True)
class EngineStatus:
    """One check of an engine: ``unreachable`` (not running, or a wrong address), ``failing``
    (it answers, with an error) and ``not installed`` (the built-in engine without
    llama-cpp-python) are told apart."""

    label: str
    kind: str
    state: State
    models: tuple[ModelInfo, ...] = ()
    error: str = ""
    warnings: tuple[str, ...] = ()

    @property
    def reachable(self) -> bool:
        return self.state != "unreachable"

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    @property
    def model_names(self) -> list[str]:
        return [model.name for model in self.models]

    @property
    def verdict(self) -> str:
        """One sentence for people."""
        if self.state == "unreachable":
            return f"Not reachable. {self.error}"
        if self.state == "not installed":
            return self.error
        if self.state == "failing":
            return f"Reachable, but it reports an error. {self.error}"
        count = len(self.models)
        names = ", ".join(self.model_names[:5]) + (" …" if count > 5 else "")
        models = f"{count} model{'s' if count != 1 else ''}" + (f": {names}" if count else "")
        return f"Connected to {self.label}, with {models}."


def check_engine(engine: Engine) -> EngineStatus:
    """List the engine's models; never raises for an absent or failing engine."""
    extra = getattr(engine, "warnings", None)
    try:
        models = tuple(engine.list_models())
        warnings = tuple(extra()) if callable(extra) else ()
    except EngineNotInstalled as exc:
        return EngineStatus(engine.label, engine.kind, "not installed", error=str(exc))
    except EngineUnreachable as exc:
        return EngineStatus(engine.label, engine.kind, "unreachable", error=str(exc))
    except PersonaError as exc:
        return EngineStatus(engine.label, engine.kind, "failing", error=str(exc))
    return EngineStatus(engine.label, engine.kind, "ready", models, warnings=warnings)
