"""Quotes in their context: the passage, the question asked and what surrounds it."""

from __future__ import annotations

import json
from dataclasses import replace

from persona.core.context import (
    cell_locator,
    highlight_spans,
    quote_context,
    short_excerpt,
    split_cell_locator,
)
from persona.core.documents import Passage
from persona.generation.research import keep_copy, passages_from_copy
from persona.ingest import read_files
from tests.survey_files import QUALTRICS_QUESTIONS, QUALTRICS_RESPONSES, qualtrics_xlsx

T = "p01.md"
TRANSCRIPT = [
    Passage(T, "line 1", "Interview with a night-shift nurse", citable=False),
    Passage(T, "line 3", "How do you usually order your groceries?", participant="Interviewer"),
    Passage(
        T, "line 4", "On my break, around three in the morning, on my phone.", participant="Maria"
    ),
    Passage(T, "line 5", "It takes me ten minutes at most.", participant="Maria"),
    Passage(T, "line 7", "And when does it go wrong?", participant="Interviewer"),
    Passage(
        T,
        "line 8",
        "The driver came four hours late – the frozen stuff had thawed.",
        participant="Maria",
    ),
    Passage(T, "line 9", "I had to throw it all away.", participant="Maria"),
    Passage(T, "line 10", "I complained twice.", participant="Maria"),
    Passage(T, "line 11", "Nothing happened.", participant="Maria"),
    Passage("other.md", "line 1", "The driver came on time.", participant="Tom"),
]


def test_a_transcript_quote_shows_the_question_and_the_turns_around_it() -> None:
    found = quote_context(TRANSCRIPT, "the frozen stuff had thawed", T, "line 8")
    assert found is not None
    assert (found.kind, found.source, found.locator) == ("transcript", T, "line 8")
    assert found.question == "And when does it go wrong?"
    assert [line.passage.locator for line in found.lines] == [
        "line 5",
        "line 7",
        "line 8",
        "line 9",
        "line 10",
    ]
    [focus] = [line for line in found.lines if line.focus]
    assert focus.label == "line 8 · Maria"
    [(start, end)] = focus.spans
    assert focus.passage.text[start:end] == "the frozen stuff had thawed"


def test_curly_quotes_case_and_spacing_do_not_stop_the_highlight() -> None:
    text = "I’d happily  pay a little EXTRA for a guaranteed slot."
    [(start, end)] = highlight_spans(text, "i'd happily pay a little extra")
    assert text[start:end] == "I’d happily  pay a little EXTRA"
    assert highlight_spans(text, "nothing like this at all") == ()
    [(start, end)] = highlight_spans(text, "I would happily pay a little extra for a guaranteed")
    assert "pay a little EXTRA for a guaranteed" in text[start:end]


def test_a_quote_across_two_lines_marks_both() -> None:
    found = quote_context(TRANSCRIPT, "had thawed. I had to throw", T, "line 8–line 9")
    assert found is not None
    assert found.locator == "line 8–line 9"
    assert [line.passage.locator for line in found.lines if line.focus] == ["line 8", "line 9"]
    assert all(line.spans for line in found.lines if line.focus)


def test_a_quote_without_a_place_is_found_by_its_words() -> None:
    found = quote_context(TRANSCRIPT, "I complained TWICE", "", "")
    assert found is not None and found.locator == "line 10"
    found = quote_context(TRANSCRIPT, "The driver came on time", T, "line 99")
    assert found is not None and (found.source, found.locator) == ("other.md", "line 1")
    assert quote_context(TRANSCRIPT, "words nobody said", T, "") is None
    assert quote_context([], "anything", T, "line 1") is None


def test_a_survey_answer_shows_the_question_and_the_respondents_other_answers() -> None:
    reading = read_files([("grocery.xlsx", qualtrics_xlsx())])
    respondent = QUALTRICS_RESPONSES[0]
    found = quote_context(reading.passages, "slots are always gone", "grocery.xlsx", "row 4, Q5")
    assert found is not None
    assert found.kind == "survey"
    assert found.question == QUALTRICS_QUESTIONS["Q5"]
    assert [(line.label, line.passage.text, line.focus) for line in found.lines] == [
        (QUALTRICS_QUESTIONS["Q5"], respondent[5], True),
        (QUALTRICS_QUESTIONS["Q6"], respondent[6], False),
    ]
    assert "How old are you?: 34" in found.about
    excerpt = short_excerpt(found)
    assert excerpt == [
        ("Question", QUALTRICS_QUESTIONS["Q5"], False),
        (f"Answer ({respondent[0]})", respondent[5], True),
        ("About the respondent", found.about, False),
    ]


def test_transcript_excerpt_is_short() -> None:
    found = quote_context(TRANSCRIPT, "I had to throw it all away", T, "line 9")
    assert found is not None
    assert short_excerpt(found) == [
        ("Question", "And when does it go wrong?", False),
        ("line 8 · Maria", TRANSCRIPT[5].text, False),
        ("line 9 · Maria", "I had to throw it all away.", True),
        ("line 10 · Maria", "I complained twice.", False),
    ]
    long = [Passage(T, "line 1", "word " * 200 + "the needle is here " + "word " * 200)]
    found = quote_context(long, "the needle is here", T, "line 1")
    assert found is not None
    [(_, text, _)] = short_excerpt(found, limit=60)
    assert "the needle is here" in text and len(text) <= 62
    assert text.startswith("…") and text.endswith("…")


def test_cell_locators() -> None:
    assert cell_locator("row 4", "Q5") == "row 4, Q5"
    assert split_cell_locator("Wave 2, row 4, column C") == ("Wave 2, row 4", "column C")
    assert split_cell_locator("line 4") is None


def test_a_kept_copy_is_the_passages_a_survey_row_context_columns_included() -> None:
    reading = read_files([("grocery.xlsx", qualtrics_xlsx())])
    assert any(p.cells for p in reading.passages)
    assert passages_from_copy(keep_copy(reading.passages)) == reading.passages
    older = json.loads(keep_copy(reading.passages))  # a copy kept before the cells were
    for item in older["passages"]:
        del item["cells"]
    kept = passages_from_copy(json.dumps(older))
    assert kept == [replace(p, cells=()) for p in reading.passages]


def test_a_kept_copy_places_quotes_like_the_files() -> None:
    """History's kept copy (generation.research) gives the same context as the files."""
    reading = read_files([("grocery.xlsx", qualtrics_xlsx())])
    kept = passages_from_copy(keep_copy(reading.passages))
    quote = QUALTRICS_RESPONSES[1][5]
    assert quote_context(kept, quote, "grocery.xlsx", "row 5, Q5") == quote_context(
        reading.passages, quote, "grocery.xlsx", "row 5, Q5"
    )
