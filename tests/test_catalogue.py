"""Tiers, memory estimates and fit verdicts, checked against arithmetic done here by hand."""

from __future__ import annotations

import pytest

from persona.core.errors import InputError
from persona.engines.catalogue import (
    BYTES_PER_WEIGHT,
    TIERS,
    MemoryEstimate,
    estimate_memory,
    fit,
    parse_parameter_size,
    recommend,
)
from persona.engines.hardware import Gpu, Hardware

GB = 10**9
GIB = 1024**3
KIB = 1024


def cpu_only(available: float, total: float = 128 * GB) -> Hardware:
    return Hardware(
        ram_total=int(total),
        ram_available=int(available),
        cpu_name="Test CPU",
        cpu_physical=4,
        cpu_logical=8,
    )


def nvidia(vram: float, ram: float = 128 * GB) -> Hardware:
    return Hardware(
        ram_total=int(ram),
        ram_available=int(ram),
        cpu_name="Test CPU",
        cpu_physical=8,
        cpu_logical=16,
        gpus=(Gpu("Test GPU", int(vram), 0),),
    )


def apple(ram: int) -> Hardware:
    return Hardware(
        ram_total=ram,
        ram_available=ram // 2,
        cpu_name="Apple M3",
        cpu_physical=8,
        cpu_logical=8,
        apple_silicon=True,
    )


# --- tiers and recommendation -------------------------------------------------


def test_tiers_keep_the_design_records_order_and_numbers() -> None:
    assert [(t.key, t.model, t.min_memory, t.quality) for t in TIERS] == [
        ("premium", "qwen2.5:72b", 48 * GB, "95% of frontier"),
        ("standard", "llama3:70b", 42 * GB, "90% of frontier"),
        ("efficient", "mistral:7b", 5 * GB, "75% of frontier"),
        ("minimal", "llama3.2:3b", 4 * GB, "65% of frontier"),
    ]
    assert [t.parameters for t in TIERS] == [72.7e9, 70.6e9, 7.2e9, 3.2e9]
    assert {t.quantization for t in TIERS} == {"Q4_K_M"}


@pytest.mark.parametrize(
    ("usable_gb", "key", "fits"),
    [
        (0.5, "minimal", False),
        (3.9, "minimal", False),
        (4, "minimal", True),
        (4.99, "minimal", True),
        (5, "efficient", True),
        (32, "efficient", True),  # the seed's pseudo-code picked llama3:70b here
        (41.9, "efficient", True),
        (42, "standard", True),
        (47.9, "standard", True),
        (48, "premium", True),
        (64, "premium", True),
        (512, "premium", True),
    ],
)
def test_recommend_picks_the_largest_tier_that_fits(usable_gb: float, key: str, fits: bool) -> None:
    rec = recommend(cpu_only(usable_gb * GB))
    assert (rec.tier.key, rec.fits) == (key, fits)
    assert rec.usable == int(usable_gb * GB)
    assert rec.tier.model in rec.explanation


def test_recommend_warns_when_nothing_fits() -> None:
    rec = recommend(cpu_only(3.9 * GB))
    assert not rec.fits
    assert "4.0 GB" in rec.explanation
    assert "3.9 GB" in rec.explanation


@pytest.mark.parametrize(
    ("hardware", "key"),
    [
        (nvidia(24 * GB, ram=256 * GB), "efficient"),  # VRAM counts, not the big RAM
        (nvidia(48 * GB), "premium"),
        (apple(16 * GIB), "efficient"),
        (apple(64 * GIB), "premium"),  # 3/4 of 68.7 GB = 51.5 GB
        (apple(48 * GIB), "efficient"),  # 3/4 of 51.5 GB = 38.7 GB
    ],
)
def test_recommend_uses_usable_memory(hardware: Hardware, key: str) -> None:
    assert recommend(hardware).tier.key == key


# --- parameter sizes ------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ("7.2B", 7_200_000_000),
        ("70.6B", 70_600_000_000),
        ("135M", 135_000_000),
        ("1.5b", 1_500_000_000),
        (" 3B ", 3_000_000_000),
        ("1.2T", 1_200_000_000_000),
        ("500K", 500_000),
        ("1024", 1024),
        (8_030_261_248, 8_030_261_248),
        ("", None),
        ("   ", None),
        ("unknown", None),
        ("8x7B", None),
        ("-1B", None),
        ("0B", None),
        (0, None),
        (-5, None),
    ],
)
def test_parse_parameter_size(size: str | int, expected: int | None) -> None:
    assert parse_parameter_size(size) == expected


# --- estimates ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quant", "bpw"),
    [
        ("F16", 2.0),
        ("BF16", 2.0),
        ("F32", 4.0),
        ("Q8_0", 1.05),
        ("Q6_K", 0.80),
        ("Q5_K_M", 0.68),
        ("Q4_K_M", 0.58),
        ("Q4_K_S", 0.56),
        ("Q4_0", 0.56),
        ("Q4_1", 0.62),
        ("Q3_K_M", 0.48),
        ("Q2_K", 0.37),
        ("q4_k_m", 0.58),
        (" q8_0 ", 1.05),
    ],
)
def test_weights_follow_bytes_per_weight(quant: str, bpw: float) -> None:
    estimate = estimate_memory("10B", quant, 1024)
    assert estimate.weights == pytest.approx(10e9 * bpw)
    assert not any("Quantization" in note for note in estimate.assumptions)


@pytest.mark.parametrize("quant", ["Q5_0", "Q5_1", "Q5_K_S"])
def test_other_q5_quantizations_sit_near_q5_k_m(quant: str) -> None:
    assert 0.65 <= BYTES_PER_WEIGHT[quant] <= 0.70


def test_q3_quantizations_are_ordered() -> None:
    q3 = [BYTES_PER_WEIGHT[q] for q in ("Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_0")]
    assert q3 == sorted(q3)
    assert len(set(q3)) == len(q3)


@pytest.mark.parametrize("quant", ["", "IQ2_XXS", "mystery"])
def test_unknown_quantization_assumes_q4_k_m_and_says_so(quant: str) -> None:
    estimate = estimate_memory(
        "7B", quant, 2048, layers=32, kv_heads=8, embedding_length=4096, head_count=32
    )
    assert estimate.weights == pytest.approx(7e9 * 0.58)
    assert len(estimate.assumptions) == 1
    assert "Q4_K_M" in estimate.assumptions[0]


@pytest.mark.parametrize(
    ("size", "quant", "ctx", "arch", "weights", "kv"),
    [
        # mistral:7b — 32 layers, 8 KV heads, 4096 / 32 = 128 dims per head.
        ("7.2B", "Q4_K_M", 4096, (32, 8, 4096, 32), 4.176e9, 2 * 32 * 8 * 128 * 4096 * 2),
        # llama3:70b at 8k — 80 layers, 8 KV heads, 8192 / 64 = 128 dims.
        ("70.6B", "Q4_K_M", 8192, (80, 8, 8192, 64), 40.948e9, 2 * 80 * 8 * 128 * 8192 * 2),
        # llama3.2:3b in F16 — 28 layers, 8 KV heads, 3072 / 24 = 128 dims.
        ("3.2B", "F16", 2048, (28, 8, 3072, 24), 6.4e9, 2 * 28 * 8 * 128 * 2048 * 2),
        # SmolLM2-135M Q8_0 — 30 layers, 3 KV heads, 576 / 9 = 64 dims.
        (134_515_008, "Q8_0", 8192, (30, 3, 576, 9), 141_240_758.4, 2 * 30 * 3 * 64 * 8192 * 2),
    ],
)
def test_estimate_with_architecture(
    size: str | int,
    quant: str,
    ctx: int,
    arch: tuple[int, int, int, int],
    weights: float,
    kv: int,
) -> None:
    layers, kv_heads, embedding, heads = arch
    estimate = estimate_memory(
        size,
        quant,
        ctx,
        layers=layers,
        kv_heads=kv_heads,
        embedding_length=embedding,
        head_count=heads,
    )
    assert estimate.weights == pytest.approx(weights, abs=1)
    assert estimate.kv_cache == kv
    assert estimate.overhead == 500_000_000
    assert estimate.total == pytest.approx(weights + kv + 500_000_000, abs=1)
    assert estimate.assumptions == ()


def test_missing_kv_heads_means_one_per_attention_head() -> None:
    estimate = estimate_memory("7B", "Q4_0", 4096, layers=32, embedding_length=4096, head_count=32)
    assert estimate.kv_cache == 2 * 32 * 32 * 128 * 4096 * 2  # Llama 2 7B: 2 GiB at 4k
    assert estimate.kv_cache == 2 * GIB
    assert len(estimate.assumptions) == 1


@pytest.mark.parametrize(
    ("size", "per_token"),
    [
        ("135M", 32 * KIB),
        ("2B", 32 * KIB),
        ("2.1B", 128 * KIB),
        ("3.2B", 128 * KIB),
        ("8B", 160 * KIB),
        ("15B", 160 * KIB),
        ("32B", 256 * KIB),
        ("70.6B", 320 * KIB),
        ("405B", 320 * KIB),
    ],
)
def test_estimate_without_architecture_uses_size_heuristic(size: str, per_token: int) -> None:
    estimate = estimate_memory(size, "Q4_K_M", 3000)
    assert estimate.kv_cache == per_token * 3000
    assert len(estimate.assumptions) == 1
    assert f"{per_token // KIB} KiB" in estimate.assumptions[0]


@pytest.mark.parametrize("arch", [{"layers": 32}, {"layers": 32, "head_count": 32}, {}])
def test_partial_architecture_falls_back_to_heuristic(arch: dict[str, int]) -> None:
    assert estimate_memory("7B", "Q4_K_M", 1000, **arch).kv_cache == 160 * KIB * 1000


def test_kv_cache_grows_linearly_with_context() -> None:
    arch = {"layers": 32, "kv_heads": 8, "embedding_length": 4096, "head_count": 32}
    small = estimate_memory("7B", "Q4_K_M", 2048, **arch)
    large = estimate_memory("7B", "Q4_K_M", 8192, **arch)
    assert large.kv_cache == 4 * small.kv_cache
    assert large.weights == small.weights


@pytest.mark.parametrize(
    ("size", "ctx"), [("", 4096), ("unknown", 4096), (0, 4096), ("7B", 0), ("7B", -1)]
)
def test_estimate_rejects_unusable_input(size: str | int, ctx: int) -> None:
    with pytest.raises(InputError):
        estimate_memory(size, "Q4_K_M", ctx)


def test_tier_estimate_for_a_model_not_pulled() -> None:
    premium = TIERS[0]
    estimate = premium.estimate(32768)
    assert estimate.weights == pytest.approx(72.7e9 * 0.58)
    assert estimate.kv_cache == 2 * 80 * 8 * 128 * 32768 * 2  # 10 GiB
    assert estimate.assumptions == ()


def test_tier_estimates_shrink_down_the_list() -> None:
    totals = [tier.estimate().total for tier in TIERS]
    assert totals == sorted(totals, reverse=True)


# --- fit ------------------------------------------------------------------------


def needing(total: float) -> MemoryEstimate:
    return MemoryEstimate(weights=int(total) - 500_000_000, kv_cache=0, overhead=500_000_000)


@pytest.mark.parametrize(
    ("needed_gb", "verdict"),
    [
        (1, "fits"),
        (7.9, "fits"),
        (8, "fits"),  # exactly 80 %
        (8.01, "tight"),
        (9.99, "tight"),
        (10, "tight"),  # exactly 100 %
        (10.01, "won't fit"),
        (30, "won't fit"),
    ],
)
def test_fit_thresholds(needed_gb: float, verdict: str) -> None:
    result = fit(needing(needed_gb * GB), cpu_only(10 * GB))
    assert result.verdict == verdict
    assert result.needed == int(needed_gb * GB)
    assert result.available == 10 * GB


@pytest.mark.parametrize(
    ("hardware", "needed", "sentence"),
    [
        (nvidia(12 * GB), 5.1 * GB, "Needs about 5.1 GB of 12.0 GB usable VRAM."),
        (cpu_only(16 * GB), 2.8 * GB, "Needs about 2.8 GB of 16.0 GB usable RAM."),
        (
            apple(16 * GIB),
            11 * GB,
            "Needs about 11.0 GB of 11.5 GB usable unified memory: it should load, "
            "but little is left for anything else.",
        ),
        (
            nvidia(24 * GB),
            44 * GB,
            "Needs about 44.0 GB, more than the 24.0 GB of usable VRAM: "
            "pick a smaller model or a shorter context.",
        ),
    ],
)
def test_fit_explanation(hardware: Hardware, needed: float, sentence: str) -> None:
    assert fit(needing(needed), hardware).explanation == sentence


@pytest.mark.parametrize(
    ("hardware", "model", "verdict"),
    [
        (cpu_only(8 * GB), "llama3.2:3b", "fits"),
        (cpu_only(8 * GB), "mistral:7b", "fits"),
        (nvidia(24 * GB), "llama3:70b", "won't fit"),
        (apple(16 * GIB), "mistral:7b", "fits"),
        (apple(64 * GIB), "qwen2.5:72b", "tight"),
    ],
)
def test_tiers_on_reference_machines(hardware: Hardware, model: str, verdict: str) -> None:
    tier = next(t for t in TIERS if t.model == model)
    assert fit(tier.estimate(4096), hardware).verdict == verdict
