"""Hardware detection against faked machines, and the real probes on this one."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from persona.engines import hardware
from persona.engines.hardware import (
    Gpu,
    Hardware,
    Probes,
    detect_hardware,
    parse_nvidia_smi,
)

GIB = 1024**3
MIB = 1024**2

CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz
processor\t: 1
model name\t: Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz
"""


def fake_run(outputs: dict[str, str | None]) -> Callable[[list[str]], str | None]:
    """A ``run`` probe answering by command name + first argument; None for anything else."""

    def run(cmd: list[str]) -> str | None:
        return outputs.get(" ".join(cmd[:3]) if cmd[0] == "sysctl" else cmd[0])

    return run


def probes(
    system: str = "Linux",
    machine: str = "x86_64",
    ram: tuple[int, int] = (8 * GIB, 5 * GIB),
    counts: tuple[int | None, int | None] = (4, 8),
    cpuinfo: str | None = CPUINFO,
    processor: str = "",
    outputs: dict[str, str | None] | None = None,
) -> Probes:
    return Probes(
        system=lambda: system,
        machine=lambda: machine,
        processor=lambda: processor,
        virtual_memory=lambda: ram,
        cpu_counts=lambda: counts,
        read_text=lambda path: cpuinfo if path == "/proc/cpuinfo" else None,
        run=fake_run(outputs or {}),
    )


def mac(machine: str = "arm64", translated: str | None = None, ram: int = 16 * GIB) -> Probes:
    return probes(
        system="Darwin",
        machine=machine,
        ram=(ram, ram // 2),
        counts=(10, 10),
        cpuinfo=None,
        processor="arm" if machine == "arm64" else "i386",
        outputs={
            "sysctl -n machdep.cpu.brand_string": "Apple M2 Pro\n",
            "sysctl -n sysctl.proc_translated": translated,
            "nvidia-smi": "Should, 1, 1\n",
        },
    )


NVIDIA_24 = "NVIDIA GeForce RTX 4090, 24564, 1210\n"


# --- the three reference machines -------------------------------------------


@pytest.mark.parametrize(
    ("machine", "translated"), [("arm64", None), ("x86_64", "1\n")], ids=["native", "rosetta"]
)
def test_16gb_apple_silicon_mac(machine: str, translated: str | None) -> None:
    hw = detect_hardware(mac(machine, translated))
    assert hw.apple_silicon
    assert hw.gpus == ()
    assert hw.cpu_name == "Apple M2 Pro"
    assert hw.accelerator == "Apple Silicon (unified memory)"
    assert hw.memory_kind == "unified memory"
    assert hw.usable_memory == int(16 * GIB * 2 / 3)
    assert hw.ram_total == 16 * GIB


@pytest.mark.parametrize("translated", [None, "0\n", "garbage"])
def test_intel_mac_is_not_apple_silicon(translated: str | None) -> None:
    hw = detect_hardware(mac("x86_64", translated))
    assert not hw.apple_silicon
    assert hw.accelerator == "CPU only"
    assert hw.usable_memory == 8 * GIB


def test_24gb_nvidia_box() -> None:
    hw = detect_hardware(
        probes(ram=(64 * GIB, 60 * GIB), counts=(8, 16), outputs={"nvidia-smi": NVIDIA_24})
    )
    assert hw.gpus == (Gpu("NVIDIA GeForce RTX 4090", 24564 * MIB, 1210 * MIB),)
    assert hw.accelerator == "NVIDIA GPU"
    assert hw.memory_kind == "VRAM"
    assert hw.usable_memory == 24564 * MIB
    assert not hw.apple_silicon
    assert (hw.cpu_physical, hw.cpu_logical) == (8, 16)


def test_8gb_cpu_only_laptop() -> None:
    hw = detect_hardware(probes(ram=(8 * GIB, 5 * GIB), counts=(4, 8)))
    assert hw.gpus == ()
    assert not hw.apple_silicon
    assert hw.accelerator == "CPU only"
    assert hw.memory_kind == "RAM"
    assert hw.usable_memory == 5 * GIB
    assert hw.cpu_name == "Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz"


# --- nvidia-smi output --------------------------------------------------------


@pytest.mark.parametrize(
    "output",
    [
        None,
        "",
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n",
        "GPU 0, lots, some\n",
        "\x00\xff, ,\n",
        ", 8192, 100\n",
        "Tesla T4, 0, 0\n",
        "Tesla T4, 15360\n",
    ],
)
def test_nvidia_smi_failure_or_garbage_means_no_gpu(output: str | None) -> None:
    hw = detect_hardware(probes(outputs={"nvidia-smi": output}))
    assert hw.gpus == ()
    assert hw.accelerator == "CPU only"


def test_multiple_gpus_sum_their_vram() -> None:
    output = "NVIDIA RTX A4000, 16376, 0\nNVIDIA RTX A4000, 16376, 512\n"
    hw = detect_hardware(probes(outputs={"nvidia-smi": output}))
    assert [gpu.vram_used for gpu in hw.gpus] == [0, 512 * MIB]
    assert hw.usable_memory == 2 * 16376 * MIB
    assert sum("NVIDIA RTX A4000" in line for line in hw.summary_lines()) == 2


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("Tesla T4, 15360, 0", [Gpu("Tesla T4", 15360 * MIB, 0)]),
        ("Tesla T4, 15360, [N/A]", [Gpu("Tesla T4", 15360 * MIB, 0)]),
        ("  A100-SXM4-80GB ,  81920 ,  4  \r\n", [Gpu("A100-SXM4-80GB", 81920 * MIB, 4 * MIB)]),
        ("Odd, Name, 2048, 10", [Gpu("Odd, Name", 2048 * MIB, 10 * MIB)]),
        ("junk\nTesla T4, 15360, 1\n[N/A], [N/A], [N/A]", [Gpu("Tesla T4", 15360 * MIB, MIB)]),
    ],
)
def test_parse_nvidia_smi(output: str, expected: list[Gpu]) -> None:
    assert list(parse_nvidia_smi(output)) == expected


def test_nvidia_smi_not_asked_on_macs() -> None:
    asked: list[list[str]] = []

    def run(cmd: list[str]) -> str | None:
        asked.append(cmd)
        return None

    detect_hardware(replace(mac(), run=run))
    assert all(cmd[0] != "nvidia-smi" for cmd in asked)
    assert asked


# --- CPU name and counts -----------------------------------------------------


@pytest.mark.parametrize(
    ("system", "cpuinfo", "processor", "machine", "expected"),
    [
        ("Linux", CPUINFO, "x86_64", "x86_64", "Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz"),
        ("Linux", "processor\t: 0\nBogoMIPS\t: 108.00\n", "", "aarch64", "aarch64"),
        ("Linux", None, "", "x86_64", "x86_64"),
        ("Linux", "model name\t:   \n", "", "", "Unknown CPU"),
        ("Windows", None, "Intel64 Family 6 Model 158", "AMD64", "Intel64 Family 6 Model 158"),
    ],
)
def test_cpu_name_sources(
    system: str, cpuinfo: str | None, processor: str, machine: str, expected: str
) -> None:
    hw = detect_hardware(
        probes(system=system, cpuinfo=cpuinfo, processor=processor, machine=machine)
    )
    assert hw.cpu_name == expected


def test_mac_without_sysctl_falls_back_to_processor() -> None:
    hw = detect_hardware(replace(mac(), run=lambda cmd: None))
    assert hw.cpu_name == "arm"


@pytest.mark.parametrize(
    ("counts", "expected"),
    [((4, 8), "(4 cores, 8 threads)"), ((None, 8), "(8 threads)"), ((None, None), "")],
)
def test_cpu_summary_line(counts: tuple[int | None, int | None], expected: str) -> None:
    line = detect_hardware(probes(counts=counts)).summary_lines()[0]
    assert line == f"CPU: Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz {expected}".rstrip()


# --- Metal share --------------------------------------------------------------


@pytest.mark.parametrize(
    ("ram_gib", "share"), [(8, 2 / 3), (16, 2 / 3), (36, 2 / 3), (48, 3 / 4), (128, 3 / 4)]
)
def test_metal_share(ram_gib: int, share: float) -> None:
    hw = detect_hardware(mac(ram=ram_gib * GIB))
    assert hw.usable_memory == pytest.approx(ram_gib * GIB * share, abs=1)
    assert hw.usable_memory < hw.ram_total


# --- display ------------------------------------------------------------------


def test_summary_lines_of_an_nvidia_box() -> None:
    hw = Hardware(
        ram_total=32_000_000_000,
        ram_available=20_500_000_000,
        cpu_name="AMD Ryzen 7 5800X",
        cpu_physical=8,
        cpu_logical=16,
        gpus=(Gpu("RTX 3060", 12_000_000_000, 300_000_000),),
    )
    assert hw.summary_lines() == [
        "CPU: AMD Ryzen 7 5800X (8 cores, 16 threads)",
        "RAM: 20.5 GB available of 32.0 GB",
        "GPU: RTX 3060, 12.0 GB VRAM (300 MB in use)",
        "Accelerator: NVIDIA GPU",
        "Usable for models: 12.0 GB of VRAM",
    ]


def test_to_dict_is_json_and_carries_derived_values() -> None:
    hw = detect_hardware(probes(outputs={"nvidia-smi": NVIDIA_24}))
    data = json.loads(json.dumps(hw.to_dict()))
    assert data["gpus"] == [
        {"name": "NVIDIA GeForce RTX 4090", "vram_total": 24564 * MIB, "vram_used": 1210 * MIB}
    ]
    assert data["accelerator"] == "NVIDIA GPU"
    assert data["memory_kind"] == "VRAM"
    assert data["usable_memory"] == 24564 * MIB
    assert data["ram_total"] == 8 * GIB
    assert data["apple_silicon"] is False


# --- the real probes ------------------------------------------------------------


def test_real_machine_is_sane() -> None:
    hw = detect_hardware()
    assert 0 < hw.ram_available <= hw.ram_total
    assert hw.cpu_logical and hw.cpu_logical >= 1
    assert hw.cpu_name
    assert 0 < hw.usable_memory <= max(hw.ram_total, sum(g.vram_total for g in hw.gpus))


@pytest.mark.parametrize(
    ("cmd", "expected"),
    [
        ([sys.executable, "-c", "print('hello')"], "hello\n"),
        ([sys.executable, "-c", "import sys; sys.exit(3)"], None),
        (["persona-no-such-binary-here"], None),
    ],
)
def test_real_run(cmd: list[str], expected: str | None) -> None:
    assert Probes().run(cmd) == expected


def test_real_run_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hardware, "RUN_TIMEOUT", 0.2)
    assert Probes().run([sys.executable, "-c", "import time; time.sleep(5)"]) is None


def test_real_read_text(tmp_path: Path) -> None:
    path = tmp_path / "cpuinfo"
    path.write_text(CPUINFO)
    assert Probes().read_text(str(path)) == CPUINFO
    assert Probes().read_text(str(path / "missing")) is None


@pytest.mark.parametrize(
    ("cpuinfo", "expected"),
    [
        ("flags\t\t: fpu sse avx2 amx_bf16 amx_tile amx_int8\n", True),
        ("flags\t\t: fpu sse avx2 avx512f\n", False),
        ("processor\t: 0\nmodel name\t: amx_tile lookalike\n", False),
        ("", False),
    ],
)
def test_cpu_has_amx_reads_the_flags_line(cpuinfo: str, expected: bool) -> None:
    from persona.engines.llamacpp import cpu_has_amx

    assert cpu_has_amx(cpuinfo) is expected
