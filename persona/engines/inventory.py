"""What an engine has and what this machine can run: shared by the Models page and the CLI."""

from __future__ import annotations

import platform
from dataclasses import dataclass, field, replace
from typing import Any

from persona.core.errors import EngineError, EngineUnreachable, InputError
from persona.engines.base import Engine, ModelInfo
from persona.engines.catalogue import (
    DEFAULT_CONTEXT,
    Fit,
    MemoryEstimate,
    estimate_memory,
    fit,
    format_parameters,
)
from persona.engines.hardware import Hardware
from persona.engines.ollama import OllamaClient


@dataclass(frozen=True)
class OllamaStatus:
    """Is Ollama there, and what does it hold?"""

    host: str
    reachable: bool
    version: str = ""
    model_count: int = 0
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "reachable": self.reachable,
            "version": self.version,
            "models": self.model_count,
            "error": self.error,
        }


def check_ollama(client: OllamaClient) -> OllamaStatus:
    """Ask Ollama for its version and models; never raises for an absent or failing server.

    ``reachable`` is False only when nothing answers; a server that answers with errors is
    reachable, with ``error`` saying what failed."""
    try:
        version = client.version()
        models = client.list_models()
    except EngineUnreachable as exc:
        return OllamaStatus(client.host, False, error=str(exc))
    except EngineError as exc:
        return OllamaStatus(client.host, True, error=str(exc))
    return OllamaStatus(client.host, True, version, len(models))


@dataclass(frozen=True)
class ModelRow:
    """A local model with the numbers a user needs to choose it."""

    name: str
    size: int
    family: str
    parameters: str
    quantization: str
    context_length: int | None
    capabilities: tuple[str, ...] = ()
    estimate: MemoryEstimate | None = None
    fit: Fit | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def verdict(self) -> str:
        return self.fit.verdict if self.fit else "unknown"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "size_bytes": self.size,
            "family": self.family,
            "parameters": self.parameters,
            "quantization": self.quantization,
            "context_length": self.context_length,
            "capabilities": list(self.capabilities),
            "memory_needed_bytes": self.estimate.total if self.estimate else None,
            "fit": self.verdict,
            "fit_explanation": self.fit.explanation if self.fit else "",
            "notes": list(self.notes),
        }


def estimate_for(info: ModelInfo, context_length: int = DEFAULT_CONTEXT) -> MemoryEstimate:
    """Memory estimate from the exact numbers an engine reports, else from its size label."""
    details = info.details
    return estimate_memory(
        info.parameters or str(details.get("parameter_size") or ""),
        info.quantization,
        context_length,
        layers=details.get("block_count"),
        kv_heads=details.get("head_count_kv"),
        embedding_length=details.get("embedding_length"),
        head_count=details.get("head_count"),
    )


def model_rows(
    engine: Engine, hardware: Hardware, context_length: int = DEFAULT_CONTEXT
) -> list[ModelRow]:
    """Every model of ``engine`` with its fit verdict at ``context_length`` on this machine
    (none for a server's models: they run there). Raises if the engine is down."""
    runs_here = engine.kind != "openai"
    rows = []
    for listed in engine.list_models():
        notes: list[str] = []
        info = listed
        if listed.context_length is None and listed.parameters is None:
            try:
                info = _merged(listed, engine.describe(listed.name))
            except EngineError as exc:
                notes.append(f"Details unavailable: {exc}")
        estimate: MemoryEstimate | None = None
        if runs_here:
            try:
                estimate = estimate_for(info, context_length)
            except InputError as exc:
                notes.append(str(exc))
        size_label = str(info.details.get("parameter_size") or "")
        rows.append(
            ModelRow(
                name=info.name,
                size=info.size_bytes or 0,
                family=info.family,
                parameters=size_label or format_parameters(info.parameters),
                quantization=info.quantization,
                context_length=info.context_length,
                capabilities=info.capabilities,
                estimate=estimate,
                fit=fit(estimate, hardware) if estimate else None,
                notes=tuple(notes + list(estimate.assumptions if estimate else ())),
            )
        )
    return sorted(rows, key=lambda r: r.name)


def _merged(listed: ModelInfo, shown: ModelInfo) -> ModelInfo:
    """What the listing says, completed by what describing the model adds."""
    return replace(
        shown,
        size_bytes=shown.size_bytes or listed.size_bytes,
        quantization=shown.quantization or listed.quantization,
        family=shown.family or listed.family,
        details={**listed.details, **shown.details},
    )


def install_steps(system: str | None = None) -> list[str]:
    """How to install and start Ollama on this operating system, step by step."""
    system = system or platform.system()
    if system == "Darwin":
        return [
            "Download Ollama for macOS from https://ollama.com/download; move it to Applications.",
            "Open the Ollama app: its icon appears in the menu bar while it runs.",
            "Come back here and press Retry.",
        ]
    if system == "Windows":
        return [
            "Download the Windows installer from https://ollama.com/download and run it.",
            "Ollama starts by itself and shows an icon near the clock.",
            "Come back here and press Retry.",
        ]
    return [
        "Install Ollama: `curl -fsSL https://ollama.com/install.sh | sh` "
        "(see https://ollama.com/download).",
        "Start it: `ollama serve` (or `systemctl start ollama` where it was set up as a service).",
        "Come back here and press Retry.",
    ]
