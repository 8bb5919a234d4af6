"""The conservative token estimate per script, and its calibration from real counts."""

from __future__ import annotations

import pytest

from persona.core.tokens import Calibration, estimate_tokens


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("Maria: I plan every meal on Sunday so the week stays calm.", 13, 16),
        ("我每周日计划每顿饭", 9, 9),  # one per CJK character
        ("Привет, как дела у тебя сегодня?", 14, 20),  # two letters per token, punctuation 1
        ("1234567890", 10, 10),  # digit by digit
        ("!?!?!?", 6, 6),
        ("", 0, 0),
        ("x" * 400, 100, 100),
        ("日本語", 3, 3),
        ("こんにちは", 5, 5),
        ("한국어", 3, 3),
        ("\U00020000\U0002a6d6", 2, 2),
        ("café au lait", 3, 4),
    ],
)
def test_estimates_err_on_the_high_side_per_script(text: str, low: int, high: int) -> None:
    assert low <= estimate_tokens(text) <= high


def test_digits_and_punctuation_cost_more_than_words() -> None:
    assert estimate_tokens("2024-03-12, 07:45; 3.5 kg") > estimate_tokens(
        "about seven in the morning"
    )


def test_calibration_grows_only_from_useful_samples() -> None:
    calibration = Calibration()
    assert not calibration.record(50, 100)  # too small to say anything
    assert calibration.record(1000, 1500) and calibration.factor == 1.5
    assert not calibration.record(1000, 1200)  # never shrinks below what was seen
    assert calibration.tokens("word " * 400) == int(estimate_tokens("word " * 400) * 1.5 + 0.999)


@pytest.mark.parametrize("latin", ["", "ab", "abcdefgh"])
def test_cjk_counts_each_character(latin: str) -> None:
    assert estimate_tokens("漢字" * 50 + latin) == 100 + estimate_tokens(latin)
