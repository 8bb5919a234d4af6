"""Model tiers, memory estimates and whether a model fits this machine.

Independent of the Ollama client: everything takes plain values (a parameter size such as
``"7.2B"`` or an exact count, a quantization name, a context length, architecture numbers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from persona.core.errors import InputError
from persona.core.units import GB, format_bytes
from persona.engines.hardware import Hardware

DEFAULT_CONTEXT = 4096
"""Tokens of context assumed when none is given: Ollama's default on smaller machines."""
DEFAULT_QUANTIZATION = "Q4_K_M"
"""What Ollama's library tags (``mistral:7b``...) ship, and what unknown quantizations count as."""
OVERHEAD = GB // 2
"""Runtime buffers beyond weights and KV cache."""
TIGHT_ABOVE = 0.8
"""A model needing more than this share of usable memory is "tight"; above 100% it won't fit."""

BYTES_PER_WEIGHT: dict[str, float] = {
    "F32": 4.0,
    "F16": 2.0,
    "BF16": 2.0,
    "Q8_0": 1.05,
    "Q6_K": 0.80,
    "Q5_K_M": 0.68,
    "Q5_K_S": 0.66,
    "Q5_1": 0.70,
    "Q5_0": 0.66,
    "Q4_K_M": 0.58,
    "Q4_K_S": 0.56,
    "Q4_1": 0.62,
    "Q4_0": 0.56,
    "MXFP4": 0.53,
    "Q3_K_L": 0.52,
    "Q3_K_M": 0.48,
    "Q3_K_S": 0.44,
    "Q2_K": 0.37,
}
"""Typical bytes per weight of a whole GGUF file, mixed tensor types included."""

KV_BYTES_PER_TOKEN: tuple[tuple[float, int], ...] = (
    (2e9, 32 * 1024),
    (5e9, 128 * 1024),
    (15e9, 160 * 1024),
    (40e9, 256 * 1024),
    (float("inf"), 320 * 1024),
)
"""Fallback f16 KV cache per token of context by parameter count (up to the bound).

Typical of grouped-query-attention models of each size: Llama 3.2 1B 32 KiB, Llama 3.2 3B
112 KiB, Llama 3 8B and Mistral 7B 128 KiB, Qwen 2.5 32B 256 KiB, Llama 3 70B 320 KiB.
"""

Verdict = Literal["fits", "tight", "won't fit"]

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmbt]?)\s*$", re.IGNORECASE)
_SCALE = {"": 1, "k": 10**3, "m": 10**6, "b": 10**9, "t": 10**12}


def parse_parameter_size(size: str | int) -> int | None:
    """Parameters from Ollama's ``parameter_size`` (``"7.2B"``, ``"135M"``) or an exact count.

    None when the text is empty or not a size.
    """
    if isinstance(size, int):
        return size if size > 0 else None
    match = _SIZE.match(size)
    if not match:
        return None
    count = round(float(match[1]) * _SCALE[match[2].lower()])
    return count or None


def format_parameters(count: int | None) -> str:
    """A parameter count the way model names say it: ``135M``, ``7.2B``; empty when unknown."""
    if not count:
        return ""
    for scale, unit in ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K")):
        if count >= scale:
            return f"{count / scale:.1f}".rstrip("0").rstrip(".") + unit
    return str(count)


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a model needs loaded, by part, and what had to be guessed to say so."""

    weights: int
    kv_cache: int
    overhead: int
    assumptions: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return self.weights + self.kv_cache + self.overhead


def _kv_cache(
    parameters: int,
    context_length: int,
    layers: int | None,
    kv_heads: int | None,
    embedding_length: int | None,
    head_count: int | None,
) -> tuple[int, list[str]]:
    if layers and embedding_length and head_count:
        notes = []
        if not kv_heads:
            kv_heads = head_count
            notes.append("No KV head count given; assumed one per attention head.")
        head_dim = embedding_length / head_count
        return round(2 * layers * kv_heads * head_dim * context_length * 2), notes
    per_token = next(size for bound, size in KV_BYTES_PER_TOKEN if parameters <= bound)
    return per_token * context_length, [
        f"Architecture unknown; KV cache estimated at {per_token // 1024} KiB per token, "
        "typical for a model of this size."
    ]


def estimate_memory(
    parameter_size: str | int,
    quantization: str = DEFAULT_QUANTIZATION,
    context_length: int = DEFAULT_CONTEXT,
    *,
    layers: int | None = None,
    kv_heads: int | None = None,
    embedding_length: int | None = None,
    head_count: int | None = None,
) -> MemoryEstimate:
    """Memory to load a model: weights + f16 KV cache for ``context_length`` + overhead.

    KV cache = 2 × layers × kv_heads × head_dim × context × 2 bytes, with
    head_dim = embedding_length / head_count; without those numbers, see ``KV_BYTES_PER_TOKEN``.
    """
    parameters = parse_parameter_size(parameter_size)
    if parameters is None:
        raise InputError(
            f"Cannot estimate memory: the parameter size {parameter_size!r} is not a number "
            "like '7.2B' or '135M'."
        )
    if context_length <= 0:
        raise InputError(f"The context length must be positive, not {context_length}.")
    assumptions = []
    quant = quantization.strip().upper()
    if quant not in BYTES_PER_WEIGHT:
        shown = f"'{quantization}'" if quant else "not given"
        assumptions.append(f"Quantization {shown}; assumed {DEFAULT_QUANTIZATION}.")
        quant = DEFAULT_QUANTIZATION
    kv_cache, kv_notes = _kv_cache(
        parameters, context_length, layers, kv_heads, embedding_length, head_count
    )
    return MemoryEstimate(
        weights=round(parameters * BYTES_PER_WEIGHT[quant]),
        kv_cache=kv_cache,
        overhead=OVERHEAD,
        assumptions=tuple(assumptions + kv_notes),
    )


@dataclass(frozen=True)
class Fit:
    """Whether an estimate fits a machine's usable memory, with a sentence saying so."""

    verdict: Verdict
    needed: int
    available: int
    explanation: str


def fit(estimate: MemoryEstimate, hardware: Hardware) -> Fit:
    """Verdict: "fits" up to 80% of usable memory, "tight" up to 100%, "won't fit" beyond."""
    needed, available, kind = estimate.total, hardware.usable_memory, hardware.memory_kind
    numbers = f"about {format_bytes(needed)} of {format_bytes(available)} usable {kind}"
    verdict: Verdict
    if needed <= TIGHT_ABOVE * available:
        verdict, explanation = "fits", f"Needs {numbers}."
    elif needed <= available:
        verdict = "tight"
        explanation = f"Needs {numbers}: it should load, but little is left for anything else."
    else:
        verdict = "won't fit"
        explanation = (
            f"Needs about {format_bytes(needed)}, more than the {format_bytes(available)} "
            f"of usable {kind}: pick a smaller model or a shorter context."
        )
    return Fit(verdict, needed, available, explanation)


@dataclass(frozen=True)
class Tier:
    """A recommended model, what memory the design record asks for, and its architecture."""

    key: str
    label: str
    model: str
    min_memory: int
    quality: str
    parameters: int
    layers: int
    kv_heads: int
    embedding_length: int
    head_count: int
    quantization: str = DEFAULT_QUANTIZATION

    def estimate(self, context_length: int = DEFAULT_CONTEXT) -> MemoryEstimate:
        """Memory estimate for this tier's default tag, pulled or not."""
        return estimate_memory(
            self.parameters,
            self.quantization,
            context_length,
            layers=self.layers,
            kv_heads=self.kv_heads,
            embedding_length=self.embedding_length,
            head_count=self.head_count,
        )


TIERS: tuple[Tier, ...] = (
    Tier(
        key="premium",
        label="Premium",
        model="qwen2.5:72b",
        min_memory=48 * GB,
        quality="95% of frontier",
        parameters=72_700_000_000,
        layers=80,
        kv_heads=8,
        embedding_length=8192,
        head_count=64,
    ),
    Tier(
        key="standard",
        label="Standard",
        model="llama3:70b",
        min_memory=42 * GB,
        quality="90% of frontier",
        parameters=70_600_000_000,
        layers=80,
        kv_heads=8,
        embedding_length=8192,
        head_count=64,
    ),
    Tier(
        key="efficient",
        label="Efficient",
        model="mistral:7b",
        min_memory=5 * GB,
        quality="75% of frontier",
        parameters=7_200_000_000,
        layers=32,
        kv_heads=8,
        embedding_length=4096,
        head_count=32,
    ),
    Tier(
        key="minimal",
        label="Minimal",
        model="llama3.2:3b",
        min_memory=4 * GB,
        quality="65% of frontier",
        parameters=3_200_000_000,
        layers=28,
        kv_heads=8,
        embedding_length=3072,
        head_count=24,
    ),
)
"""Largest first. Memory requirements from the design record (ADR-0025)."""


@dataclass(frozen=True)
class Recommendation:
    """The tier to use; ``fits`` is False when even the smallest tier needs more than there is."""

    tier: Tier
    fits: bool
    usable: int
    explanation: str


def recommend(hardware: Hardware) -> Recommendation:
    """The largest tier whose memory requirement fits usable memory, else the minimal tier."""
    usable, kind = hardware.usable_memory, hardware.memory_kind
    have = f"{format_bytes(usable)} of usable {kind}"
    for tier in TIERS:
        if tier.min_memory <= usable:
            return Recommendation(
                tier, True, usable, f"{tier.label} ({tier.model}) is the largest tier for {have}."
            )
    smallest = TIERS[-1]
    return Recommendation(
        smallest,
        False,
        usable,
        f"Even the {smallest.label} tier ({smallest.model}) asks for "
        f"{format_bytes(smallest.min_memory)}, more than the {have}: "
        "it may not load, or run slowly.",
    )
