"""What Ollama has and what this machine can run: shared by the Models page and the CLI."""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from typing import Any

from persona.core.errors import InputError, OllamaError
from persona.engines.catalogue import DEFAULT_CONTEXT, Fit, MemoryEstimate, estimate_memory, fit
from persona.engines.hardware import Hardware
from persona.engines.ollama import ListedModel, OllamaClient, ShowResponse


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
    """Ask Ollama for its version and models; never raises for an absent server."""
    try:
        version = client.version()
        models = client.list_models()
    except OllamaError as exc:
        return OllamaStatus(client.host, False, error=str(exc))
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


def estimate_for(
    listed: ListedModel, info: ShowResponse | None, context_length: int = DEFAULT_CONTEXT
) -> MemoryEstimate:
    """Memory estimate from /api/show's exact numbers when known, else from /api/tags."""
    if info is None:
        return estimate_memory(
            listed.details.parameter_size, listed.details.quantization_level, context_length
        )
    return estimate_memory(
        info.parameter_count or listed.details.parameter_size,
        info.quantization or listed.details.quantization_level,
        context_length,
        layers=info.block_count,
        kv_heads=info.head_count_kv,
        embedding_length=info.embedding_length,
        head_count=info.head_count,
    )


def model_rows(
    client: OllamaClient, hardware: Hardware, context_length: int = DEFAULT_CONTEXT
) -> list[ModelRow]:
    """Every local model with its fit verdict at ``context_length`` (raises if Ollama is down)."""
    rows = []
    for listed in client.list_models():
        notes: list[str] = []
        info: ShowResponse | None = None
        try:
            info = client.show(listed.name)
        except OllamaError as exc:
            notes.append(f"Details unavailable: {exc}")
        try:
            estimate: MemoryEstimate | None = estimate_for(listed, info, context_length)
        except InputError as exc:
            estimate = None
            notes.append(str(exc))
        rows.append(
            ModelRow(
                name=listed.name,
                size=listed.size,
                family=listed.details.family,
                parameters=listed.details.parameter_size,
                quantization=listed.details.quantization_level,
                context_length=info.context_length if info else None,
                capabilities=tuple(info.capabilities) if info else (),
                estimate=estimate,
                fit=fit(estimate, hardware) if estimate else None,
                notes=tuple(notes + list(estimate.assumptions if estimate else ())),
            )
        )
    return sorted(rows, key=lambda r: r.name)


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
