"""Words of any language: spaced scripts by word, Chinese and Japanese by character."""

from __future__ import annotations

import pytest

from persona.core.words import fold, strip_accents, terms, words
from persona.generation.evidence import EvidenceIndex, normalize


def test_words_fold_case_apostrophes_and_width() -> None:
    assert words("Don’t STOP — Straße!") == ["dont", "stop", "strasse"]
    assert fold("ＡＢＣ ｱ") == "abc ア"


def test_unspaced_scripts_split_into_characters_and_pairs() -> None:
    assert words("アプリ予約") == ["ア", "プ", "リ", "予", "約"]
    assert words("app予約が") == ["app", "予", "約", "が"]
    assert terms("予約が面倒") == ["予約", "約が", "が面", "面倒"]
    assert terms("Die App 予") == ["die", "app", "予"]


def test_a_japanese_quote_inside_a_sentence_is_found() -> None:
    from persona.core.documents import Passage

    passage = Passage("ja.md", "line 3", "佐藤：代替品が困ります。先週は普通のパンが届きました。")
    index = EvidenceIndex([passage])
    match = index.find("普通のパンが届きました")
    assert match is not None and match.locator == "line 3"
    assert normalize("代替品") == "代 替 品"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Zoë Müller", "Zoe Muller"),
        ("Siobhán Ó Briain", "Siobhan O Briain"),
        ("Ｚｏë", "Zoe"),  # full-width letters unified
        ("ŁÓDŹ", "ŁODZ"),  # Ł has no combining mark: kept
        ("plain", "plain"),
    ],
)
def test_strip_accents_keeps_case_and_drops_marks(text: str, expected: str) -> None:
    assert strip_accents(text) == expected
