"""Does a chat answer rest on the passages it cites? Numbers, names and words, in four languages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from persona.chat.grounding import MIN_WORD_SHARE, ground, names, numbers
from persona.chat.retrieval import Retriever
from persona.core.documents import Passage, with_passage_ids


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("I pay 45 euros, sometimes 1,000 or 6:52.", "English", ["45", "1000", "6", "52"]),
        ("forty-five, forty five, two hundred and twice", "English", ["45", "45", "200", "2"]),
        ("three or four a week, one day", "English", ["3", "4"]),
        ("Ich zahle fünfundvierzig Euro, zwölf Mal", "German", ["45", "12"]),
        ("Pago cuarenta y cinco euros, veintidós veces", "Spanish", ["45", "22"]),
        ("quarante-cinq, dix-sept, quatre-vingt-dix", "French", ["45", "17", "90"]),
        ("ventitré e trentadue", "Italian", ["23", "32"]),
        ("vijfenveertig euro", "Dutch", ["45"]),
        ("毎月４５ユーロ払います", "Japanese", ["45"]),
        ("1.000 Euro und 15,50 Euro", "German", ["1000", "15", "50"]),
        ("07:05", None, ["7", "5"]),
    ],
)
def test_numbers_are_read_as_digits_or_words(
    text: str, language: str | None, expected: list[str]
) -> None:
    assert numbers(text, language) == expected


@given(st.integers(min_value=0, max_value=10**9))
def test_any_number_written_in_digits_is_read_back(number: int) -> None:
    assert numbers(f"It was {number} of them.", "English") == [str(number)]


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        (
            "I pay every month. My brother Joaquim works at Siemens in Porto.",
            "English",
            ["Joaquim", "Siemens", "Porto"],
        ),
        ("Honestly I'm fine. I think so: Tuesdays are hard.", "English", []),
        ("Ich weiß, dass Sie das Brot von Edeka mögen.", "German", ["Brot", "Edeka"]),
        (
            "Pues yo compro en Mercadona con mi hermano Joaquim.",
            "Spanish",
            ["Mercadona", "Joaquim"],
        ),
        ("兄はシーメンスで働いています。", "Japanese", ["シーメンス"]),
        ("“Quoted” — Then after a dash\nNew line", "English", []),
    ],
)
def test_names_are_capitalised_words_that_do_not_start_a_sentence(
    text: str, language: str, expected: list[str]
) -> None:
    assert names(text, language) == expected


LANGUAGES = {
    # language: (a passage, an answer resting on it, an answer that invents, what it invents)
    "English": (
        "Maria: I pay 15 euros for delivery, and my partner Sam orders on Sundays.",
        "I pay 15 euros for delivery; Sam orders on Sundays.",
        "I pay 45 euros for delivery; my brother Joaquim works at Siemens.",
        ["45", "Joaquim", "Siemens"],
    ),
    "German": (
        "Anna: Ich zahle fünf Euro Liefergebühr, das Brot kommt von Edeka.",
        "Ich zahle fünf Euro Liefergebühr und das Brot kommt von Edeka.",
        "Ich zahle fünfundvierzig Euro, mein Bruder Joaquim arbeitet bei Siemens.",
        ["45", "Bruder", "Joaquim", "Siemens"],  # a noun the study never uses counts as a name
    ),
    "Spanish": (
        "Lucía: Pago cinco euros de envío y compro en Mercadona.",
        "Pago cinco euros de envío y compro en Mercadona.",
        "Pago 45 euros de envío; mi hermano Joaquim trabaja en Siemens.",
        ["45", "Joaquim", "Siemens"],
    ),
    "Japanese": (
        "佐藤：配送料は5ユーロです。アプリで毎週注文しています。",
        "配送料は5ユーロです。アプリで毎週注文しています。",
        "配送料は45ユーロです。兄はシーメンスで働いています。",
        ["45", "シーメンス"],
    ),
}


def study_of(language: str) -> tuple[Retriever, Passage]:
    passage_text = LANGUAGES[language][0]
    filler = {
        "English": "Tom: The app is slow and the fonts are small.",
        "German": "Klaus: Die App ist langsam und die Schrift ist klein.",
        "Spanish": "Javier: La aplicación es lenta y la letra es pequeña.",
        "Japanese": "田中：アプリが遅くて、文字が小さいです。",
    }[language]
    passages = with_passage_ids(
        [Passage("a.md", "line 1", passage_text), Passage("b.md", "line 1", filler)]
    )
    return Retriever(passages, language), passages[0]


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_an_answer_resting_on_its_passage_is_grounded(language: str) -> None:
    retriever, passage = study_of(language)
    result = ground(LANGUAGES[language][1], [passage], retriever, language=language)
    assert result.grounded and result.reason == "", result


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_an_answer_that_invents_numbers_and_names_is_not(language: str) -> None:
    retriever, passage = study_of(language)
    _, _, invented, expected = LANGUAGES[language]
    result = ground(invented, [passage], retriever, language=language)
    assert not result.grounded
    assert [*result.numbers, *result.names] == expected
    assert all(f"“{item}”" in result.reason for item in expected)


def test_a_number_changed_from_the_passage_is_caught() -> None:
    retriever, passage = study_of("English")
    result = ground("I pay 16 euros for delivery.", [passage], retriever, language="English")
    assert result.numbers == ("16",) and not result.grounded


def test_numbers_in_words_and_digits_are_the_same_number() -> None:
    retriever, passage = study_of("English")
    result = ground("I pay fifteen euros for delivery.", [passage], retriever, language="English")
    assert result.grounded


def test_an_answer_of_other_words_is_not_grounded() -> None:
    retriever, passage = study_of("English")
    result = ground(
        "I usually cycle to the farmers market and bake bread with neighbours.",
        [passage],
        retriever,
        language="English",
    )
    assert result.names == () and result.numbers == ()
    assert result.share < MIN_WORD_SHARE and not result.grounded
    assert f"Only {result.found} of the answer's {result.total} words" in result.reason


def test_the_persona_may_say_its_own_name_and_a_speaker_counts() -> None:
    retriever, passage = study_of("English")
    answer = "I'm Maria Night, and I pay 15 euros for delivery, like Maria."
    assert not ground(answer, [passage], retriever, language="English").grounded
    assert ground(answer, [passage], retriever, language="English", speaker="Maria Night").grounded


def test_a_german_noun_the_study_uses_is_a_word_not_a_name() -> None:
    retriever, passage = study_of("German")
    answer = "Ich zahle fünf Euro Liefergebühr, die App ist langsam."  # "App": another passage
    result = ground(answer, [passage], retriever, language="German")
    assert result.names == ()
    english = ground("I pay five euros, the App is slow.", [passage], retriever, language="English")
    assert english.names == ("App",)  # only German writes ordinary words with a capital


def test_an_answer_in_another_language_is_checked_for_numbers_and_names_only() -> None:
    retriever, passage = study_of("German")
    fine = ground(
        "I pay five euros; the bread is from Edeka.", [passage], retriever, language="English"
    )
    assert fine.grounded and fine.total == 0
    invented = ground("I pay 45 euros at Aldi.", [passage], retriever, language="English")
    assert invented.numbers == ("45",) and invented.names == ("Aldi",)


def test_an_answer_with_nothing_to_check_is_not_grounded() -> None:
    retriever, passage = study_of("English")
    for empty in ("", "I do.", "And so it is!"):
        result = ground(empty, [passage], retriever, language="English")
        assert result.total == 0 and not result.grounded and "says nothing" in result.reason


def test_a_reason_lists_a_few_of_many_inventions() -> None:
    retriever, passage = study_of("English")
    answer = "We met Ann, Bob, Cleo, Dave, Emma, Finn and Gus at Lidl."
    result = ground(answer, [passage], retriever, language="English")
    assert len(result.names) == 8 and "“Finn” and 2 more," in result.reason
