"""What this machine offers a local model: RAM, CPU, NVIDIA VRAM or Apple unified memory.

Every probe of the outside world goes through :class:`Probes`, so tests can fake any machine.
Sizes are bytes; for display, :func:`persona.core.units.format_bytes` uses decimal
gigabytes (1 GB = 10**9 bytes).
"""

from __future__ import annotations

import platform
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import psutil

from persona.core.units import format_bytes

MIB = 1024 * 1024
GIB = 1024 * MIB

RUN_TIMEOUT = 5.0
"""Seconds a probe command (nvidia-smi, sysctl) may take before it counts as failed."""

NVIDIA_SMI = [
    "nvidia-smi",
    "--query-gpu=name,memory.total,memory.used",
    "--format=csv,noheader,nounits",
]


def metal_limit(ram_total: int) -> int:
    """Bytes of unified memory Metal lets the GPU use on Apple Silicon.

    Rule of thumb from macOS's default GPU working-set limit: about 2/3 of RAM on Macs with
    up to 36 GiB, about 3/4 above that.
    """
    share = 2 / 3 if ram_total <= 36 * GIB else 3 / 4
    return int(ram_total * share)


def _virtual_memory() -> tuple[int, int]:
    memory = psutil.virtual_memory()
    return memory.total, memory.available


def _cpu_counts() -> tuple[int | None, int | None]:
    return psutil.cpu_count(logical=False), psutil.cpu_count(logical=True)


def _read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def _run(cmd: list[str]) -> str | None:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


@dataclass(frozen=True)
class Probes:
    """The calls that look at the machine. ``run`` returns stdout, or None if the command failed."""

    system: Callable[[], str] = platform.system
    machine: Callable[[], str] = platform.machine
    processor: Callable[[], str] = platform.processor
    virtual_memory: Callable[[], tuple[int, int]] = _virtual_memory
    cpu_counts: Callable[[], tuple[int | None, int | None]] = _cpu_counts
    read_text: Callable[[str], str | None] = _read_text
    run: Callable[[list[str]], str | None] = _run


@dataclass(frozen=True)
class Gpu:
    """One NVIDIA GPU. Sizes in bytes."""

    name: str
    vram_total: int
    vram_used: int


@dataclass(frozen=True)
class Hardware:
    """A snapshot of the machine. Sizes in bytes; CPU counts are None when unknown."""

    ram_total: int
    ram_available: int
    cpu_name: str
    cpu_physical: int | None
    cpu_logical: int | None
    gpus: tuple[Gpu, ...] = field(default_factory=tuple)
    apple_silicon: bool = False

    @property
    def accelerator(self) -> str:
        if self.gpus:
            return "NVIDIA GPU"
        if self.apple_silicon:
            return "Apple Silicon (unified memory)"
        return "CPU only"

    @property
    def memory_kind(self) -> str:
        if self.gpus:
            return "VRAM"
        if self.apple_silicon:
            return "unified memory"
        return "RAM"

    @property
    def usable_memory(self) -> int:
        """Bytes a model can live in: all NVIDIA VRAM, else Metal's share, else available RAM."""
        if self.gpus:
            return sum(gpu.vram_total for gpu in self.gpus)
        if self.apple_silicon:
            return metal_limit(self.ram_total)
        return self.ram_available

    def summary_lines(self) -> list[str]:
        """The machine in a few human-readable lines."""
        counts = [
            f"{n} {unit}"
            for n, unit in ((self.cpu_physical, "cores"), (self.cpu_logical, "threads"))
            if n
        ]
        cpu = f"CPU: {self.cpu_name}" + (f" ({', '.join(counts)})" if counts else "")
        lines = [
            cpu,
            f"RAM: {format_bytes(self.ram_available)} available of {format_bytes(self.ram_total)}",
        ]
        lines += [
            f"GPU: {gpu.name}, {format_bytes(gpu.vram_total)} VRAM "
            f"({format_bytes(gpu.vram_used)} in use)"
            for gpu in self.gpus
        ]
        lines.append(f"Accelerator: {self.accelerator}")
        lines.append(f"Usable for models: {format_bytes(self.usable_memory)} of {self.memory_kind}")
        return lines

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values, including the derived properties."""
        data = asdict(self)
        data["gpus"] = [asdict(gpu) for gpu in self.gpus]
        data["accelerator"] = self.accelerator
        data["memory_kind"] = self.memory_kind
        data["usable_memory"] = self.usable_memory
        return data


def parse_nvidia_smi(output: str) -> tuple[Gpu, ...]:
    """GPUs from ``nvidia-smi`` CSV lines (``name, total MiB, used MiB``).

    Lines that don't parse are skipped; a used value it cannot report (``[N/A]``) counts as 0.
    """
    gpus = []
    for line in output.splitlines():
        parts = [part.strip() for part in line.rsplit(",", 2)]
        if len(parts) != 3 or not parts[0]:
            continue
        name, total, used = parts
        try:
            vram_total = int(float(total) * MIB)
        except ValueError:
            continue
        try:
            vram_used = int(float(used) * MIB)
        except ValueError:
            vram_used = 0
        if vram_total > 0:
            gpus.append(Gpu(name, vram_total, max(vram_used, 0)))
    return tuple(gpus)


def _is_apple_silicon(probes: Probes, system: str) -> bool:
    if system != "Darwin":
        return False
    if probes.machine() == "arm64":
        return True
    translated = probes.run(["sysctl", "-n", "sysctl.proc_translated"])
    return (translated or "").strip() == "1"


def _cpu_name(probes: Probes, system: str) -> str:
    name = ""
    if system == "Linux":
        for line in (probes.read_text("/proc/cpuinfo") or "").splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip() == "model name" and value.strip():
                name = value.strip()
                break
    elif system == "Darwin":
        name = (probes.run(["sysctl", "-n", "machdep.cpu.brand_string"]) or "").strip()
    return name or probes.processor().strip() or probes.machine().strip() or "Unknown CPU"


def detect_hardware(probes: Probes | None = None) -> Hardware:
    """Look at this machine (or the faked one ``probes`` describes). Never raises on odd output."""
    probes = probes or Probes()
    system = probes.system()
    ram_total, ram_available = probes.virtual_memory()
    physical, logical = probes.cpu_counts()
    apple_silicon = _is_apple_silicon(probes, system)
    gpus: tuple[Gpu, ...] = ()
    if system != "Darwin":
        gpus = parse_nvidia_smi(probes.run(NVIDIA_SMI) or "")
    return Hardware(
        ram_total=ram_total,
        ram_available=ram_available,
        cpu_name=_cpu_name(probes, system),
        cpu_physical=physical,
        cpu_logical=logical,
        gpus=gpus,
        apple_silicon=apple_silicon,
    )
