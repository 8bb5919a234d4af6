"""The token estimate: four characters per token, one per CJK character, rounded up."""

from __future__ import annotations

import pytest

from persona.core.tokens import CHARS_PER_TOKEN, estimate_tokens


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("", 0),
        ("a", 1),
        ("abcd", 1),
        ("abcde", 2),
        ("x" * 400, 100),
        ("x" * 401, 101),
        ("Zoë Müller", 3),
        ("café au lait", 3),
        ("日本語", 3),
        ("こんにちは", 5),
        ("カタカナ", 4),
        ("한국어", 3),
        ("你好, world", 4),
        ("ＡＢＣ", 3),
        ("配達は速い。", 6),
        ("\U00020000\U0002a6d6", 2),
    ],
)
def test_estimate_tokens(text: str, tokens: int) -> None:
    assert estimate_tokens(text) == tokens


@pytest.mark.parametrize("chars", [1, 3, 4, 99, 1000, 12345])
def test_latin_text_is_about_four_characters_per_token(chars: int) -> None:
    text = ("The delivery came late again. " * 500)[:chars]
    assert estimate_tokens(text) == -(-chars // CHARS_PER_TOKEN)
    assert estimate_tokens(text.replace("e", "é")) == estimate_tokens(text)


@pytest.mark.parametrize("latin", ["", "ab", "abcdefgh"])
def test_cjk_counts_each_character(latin: str) -> None:
    assert estimate_tokens("漢字" * 50 + latin) == 100 + estimate_tokens(latin)
