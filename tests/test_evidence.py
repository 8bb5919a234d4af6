"""Quote verification: tolerant to formatting, strict about words, fast on big data."""

from __future__ import annotations

import random

import pytest

from persona.core.documents import Passage
from persona.core.schema import Claim, Evidence, Persona
from persona.generation.evidence import (
    EvidenceIndex,
    VerificationSummary,
    normalize,
    summarize,
    verify_personas,
)

PASSAGES = [
    Passage("maria.md", "line 3", "Maria: I plan every meal on Sunday so the week stays calm."),
    Passage("maria.md", "line 4", "Maria: Honestly, I don’t trust the app —"),
    Passage("maria.md", "line 5", "it crashes every Monday morning."),
    Passage("survey.csv", "row 2", "Name: Tom; Answer: Delivery slots are always full at night."),
    Passage("survey.csv", "row 3", "Name: Ana; Answer: Delivery slots are always full at night."),
    Passage("tom.md", "line 9", "Tom: The buttons are too small and I give up."),
]


@pytest.fixture(scope="module")
def index() -> EvidenceIndex:
    return EvidenceIndex(PASSAGES)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Don’t  STOP—now!", "dont stop now"),
        ("“Quoted”, 'single' and «guillemets»", "quoted single and guillemets"),
        ("line one\n\tline two", "line one line two"),
        ("snake_case and e-mail", "snake case and e mail"),
        ("ﬁne Café", "fine café"),
        ("...", ""),
    ],
)
def test_normalize(text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize(
    "quote",
    [
        "I plan every meal on Sunday so the week stays calm.",
        "i plan every meal on sunday so the week stays calm",
        "I  plan every meal\non Sunday, so the week stays calm!",
        "“I plan every meal on Sunday – so the week stays calm”",
        "Honestly, I don't trust the app",
        "The buttons are too small",
        "too small",
    ],
)
def test_formatting_differences_still_match_exactly(index, quote):
    match = index.find(quote)
    assert match is not None and match.score == 100.0


def test_quote_across_two_lines_of_one_file(index):
    match = index.find("I don't trust the app, it crashes every Monday morning")
    assert match is not None and match.score == 100.0
    assert (match.source, match.locator) == ("maria.md", "line 4–line 5")
    assert match.text == f"{PASSAGES[1].text}\n{PASSAGES[2].text}"


def test_quote_with_a_slip_across_two_lines(index):
    match = index.find("Honestly I dont trust the app it crashs every Monday morning")
    assert match is not None and 90 <= match.score < 100
    assert match.locator == "line 4–line 5"


def test_quote_does_not_join_different_files(index):
    match = index.find("always full at night. Tom: The buttons are too small")
    assert match is None or match.score < 90


@pytest.mark.parametrize(
    "quote",
    [
        "I plan every meal on Sundy so the week stays calm",
        "I plan evry meal on Sunday so the week stays calm",
        "The buttons are too small and I gave up",
    ],
)
def test_small_slips_match_fuzzily(index, quote):
    match = index.find(quote)
    assert match is not None and 90 <= match.score < 100


@pytest.mark.parametrize(
    "quote",
    [
        "I never plan my meals and the week is chaos",
        "The app is great and never crashes",
        "Delivery is always on time in the morning",
        "I love cooking for my whole family every single day",
    ],
)
def test_paraphrases_and_inventions_score_low(index, quote):
    match = index.find(quote)
    assert match is None or match.score < 90


@pytest.mark.parametrize("quote", ["", "   ", "—", "too smal", "buttons big", "Sundy"])
def test_empty_and_short_near_misses_find_nothing(index, quote):
    assert index.find(quote) is None


@pytest.mark.parametrize(
    ("source", "locator", "expected"),
    [
        ("survey.csv", "row 3", "row 3"),
        ("survey.csv", "row 2", "row 2"),
        ("SURVEY.csv", " row 3 ", "row 3"),
        ("", "", "row 2"),
        ("other.csv", "row 3", "row 2"),
    ],
)
def test_claimed_place_wins_a_tie(index, source, locator, expected):
    match = index.find("Delivery slots are always full at night", source, locator)
    assert match is not None and match.locator == expected


def test_claimed_place_wins_a_fuzzy_tie(index):
    match = index.find("Delivery slots are always ful at night", "survey.csv", "row 3")
    assert match is not None and match.score < 100 and match.locator == "row 3"


def test_claimed_row_wins_among_many_identical_answers():
    rows = [
        Passage("survey.csv", f"row {n}", "Answer: Delivery slots are always full at night.")
        for n in range(2, 202)
    ]
    match = EvidenceIndex(rows).find(
        "Delivery slots are always ful at night", "survey.csv", "row 170"
    )
    assert match is not None and match.score >= 90 and match.locator == "row 170"


def test_empty_index_finds_nothing():
    assert len(EvidenceIndex([Passage("a.txt", "line 1", "  ")])) == 0
    assert EvidenceIndex([]).find("anything at all here") is None


def persona(*quotes: str, quote: str = "The buttons are too small") -> Persona:
    return Persona(
        name="Maria Planner",
        age="30-40",
        role="Nurse",
        bio="Plans ahead.",
        goals=[Claim(text="Calm weeks", evidence=[Evidence(quote=q) for q in quotes])],
        pain_points=[Claim(text="Crashes")],
        behaviours=[Claim(text="Plans on Sunday")],
        quote=Evidence(quote=quote, source="tom.md", locator="line 9"),
    )


def test_verify_personas_marks_copies():
    original = persona("I plan every meal on Sunday", "I love the app", "")
    [checked] = verify_personas([original], PASSAGES)
    assert all(ev.verified is None for ev in original.all_evidence())
    quote, found, invented, empty = checked.all_evidence()
    assert (quote.verified, quote.score, quote.matched_locator) == (True, 100.0, "line 9")
    assert quote.matched_text == PASSAGES[5].text and quote.matched_source == "tom.md"
    assert found.verified is True and found.matched_locator == "line 3"
    assert invented.verified is False and invented.score is not None and invented.score < 90
    assert (invented.matched_source, invented.matched_locator, invented.matched_text) == (
        None,
        None,
        None,
    )
    assert (empty.verified, empty.score) == (False, 0.0)


@pytest.mark.parametrize(
    ("quote", "verified"),
    [
        ("I plan every meal on Sundy so the week stays calm", True),  # one typo
        ("I PLAN every meal on Sunday — so the week stays calm!", True),  # case, typography
        ("I plan every meal on Sundy so the wek stais calm", False),  # a different text
        ("Sunday so the week stays calm", True),  # a whole quote inside a longer line
        ("On Sundays I plan every meal on Sunday so the week stays calm", False),  # words added
    ],
)
def test_found_means_word_for_word_over_the_whole_quote(quote, verified):
    [checked] = verify_personas([persona(quote)], EvidenceIndex(PASSAGES))
    assert checked.goals[0].evidence[0].verified is verified


def test_headings_and_the_interviewers_questions_are_not_evidence():
    heading = Passage(
        "p01.md", "line 1", "# Interview P01 — bike-share study, week 2", citable=False
    )
    question = Passage("p01.md", "line 2", "Interviewer: How do you get to work?", citable=False)
    title = Passage("p01.md", "line 3", "The bike-share study, week 2", citable=False)
    index = EvidenceIndex([heading, question, title, *PASSAGES])
    for text in (heading.text, question.text, title.text):
        [checked] = verify_personas([persona(text)], index)
        assert checked.goals[0].evidence[0].verified is False


@pytest.mark.parametrize(
    ("verified", "total", "text"),
    [
        (14, 15, "14 of 15 quotes found in your data"),
        (1, 1, "1 of 1 quote found in your data"),
        (0, 2, "0 of 2 quotes found in your data"),
        (0, 0, "No quotes to check"),
    ],
)
def test_summary_text(verified, total, text):
    assert VerificationSummary(verified, total).text == text


def test_summarize_counts_every_quote():
    checked = verify_personas(
        [persona("I plan every meal on Sunday", "invented words here"), persona()], PASSAGES
    )
    assert summarize(checked) == VerificationSummary(verified=3, total=4)


def test_many_passages_sharing_common_words():
    rng = random.Random(7)
    common = [
        "i",
        "the",
        "a",
        "to",
        "and",
        "it",
        "we",
        "my",
        "is",
        "of",
        "in",
        "that",
        "for",
        "on",
        "with",
        "app",
        "time",
        "when",
    ]
    rare = [f"word{n}" for n in range(5000)]
    passages = [
        Passage(
            f"file{n // 500}.txt",
            f"line {n % 500 + 1}",
            " ".join(rng.choice(common if rng.random() < 0.5 else rare) for _ in range(16)),
        )
        for n in range(20_000)
    ]
    plain = " ".join(rng.choice(common) for _ in range(12))
    passages[15_000] = Passage("plain.txt", "line 1", plain)
    target = passages[12_345]
    words = target.text.split()
    exact = " ".join(words[3:11])
    slipped = " ".join([*words[3:7], words[7] + "x", *words[8:11]])
    plain_words = plain.split()
    plain_slip = " ".join([*plain_words[:5], plain_words[5] + "x", *plain_words[6:]])
    invented = " ".join(rng.choice(common + rare) for _ in range(8))
    index = EvidenceIndex(passages)
    results = [index.find(q) for q in [exact, slipped, plain_slip, invented] * 25]
    found, fuzzy, common_words, missing = results[:4]
    assert found is not None and found.score == 100.0 and found.text == target.text
    assert fuzzy is not None and fuzzy.score >= 90 and fuzzy.locator == target.locator
    assert common_words is not None and common_words.source == "plain.txt"
    assert common_words.score >= 90
    assert missing is None or missing.score < 90


def test_a_claim_is_supported_only_when_every_quote_is_found_and_fits() -> None:
    def quote(verified: bool | None, weak: bool = False) -> Evidence:
        return Evidence(quote="q", source="a.txt", verified=verified, weak_support=weak)

    assert Claim(text="t", evidence=[quote(True), quote(True)]).supported
    assert not Claim(text="t").supported, "no quote, no support"
    assert not Claim(text="t", evidence=[quote(True), quote(False)]).supported
    assert not Claim(text="t", evidence=[quote(None)]).supported, "not checked yet"
    assert not Claim(text="t", evidence=[quote(True, weak=True)]).supported
