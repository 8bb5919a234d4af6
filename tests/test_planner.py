"""The context planner: sized num_ctx, chunks that never drop a character."""

from __future__ import annotations

from dataclasses import replace

import pytest

from persona.core.documents import Passage
from persona.core.errors import InputError
from persona.core.tokens import MIN_CONTEXT, estimate_tokens
from persona.generation.chunking import passage_tokens
from persona.generation.planner import (
    SAFETY,
    count_merges,
    estimate_text,
    findings_pool,
    fit,
    num_ctx_for,
)
from persona.generation.prompts import format_data


def corpus(lines: int, words: int = 20, source: str = "survey.csv") -> list[Passage]:
    return [
        Passage(source, f"row {i + 2}", " ".join(f"w{i}x{j}" for j in range(words)), f"P{i + 1}")
        for i in range(lines)
    ]


def test_small_corpus_is_one_call_with_room_for_the_answer():
    passages = corpus(10)
    result = fit(passages, count=3, context_limit=8192, prompt_overhead=500)
    assert result.mode == "single" and result.calls == 1 and result.per_call == 3
    assert result.chunks[0] == tuple(passages)
    needed = (result.corpus_tokens + 500) * SAFETY + result.answer_tokens
    assert needed <= result.num_ctx <= 8192
    assert result.num_ctx % 256 == 0
    assert "1 call for the personas" in result.describe()
    assert "About" not in result.describe()  # no speed given: no duration


def test_num_ctx_is_never_below_minimum():
    result = fit(corpus(1, words=3), count=1, context_limit=8192, prompt_overhead=10)
    assert result.num_ctx == MIN_CONTEXT


@pytest.mark.parametrize("factor", [2, 5, 12])
def test_large_corpus_is_chunked_without_losing_anything(factor):
    limit = 4096
    passages = corpus(int(limit * factor / 40))
    result = fit(passages, count=3, context_limit=limit, prompt_overhead=400)
    assert result.mode == "map-reduce"
    flattened = [p for chunk in result.chunks for p in chunk]
    assert flattened == passages  # same passages, same order, nothing dropped
    assert result.calls == len(result.chunks) + result.merge_calls + result.persona_calls
    assert result.num_ctx <= limit
    for chunk in result.chunks:
        tokens = sum(passage_tokens(p) for p in chunk)
        assert (tokens + 400) * SAFETY + result.findings_tokens <= limit
    assert f"{len(result.chunks)} chunks, at most {result.calls} model calls" in result.describe()


def test_chunks_of_a_survey_have_room_for_the_questions_shown_with_the_answers():
    questions = [
        f"Question number {q} asks something rather long about the app " * 3 for q in "abc"
    ]
    passages = [
        Passage(
            "s.csv", f"row {i}", f"answer {i} " * 12, f"P{i}", f"R{i}", question=questions[i % 3]
        )
        for i in range(1, 600)
    ]
    limit, overhead = 2048, 150
    result = fit(passages, count=3, context_limit=limit, prompt_overhead=overhead)
    assert [p for c in result.chunks for p in c] == passages
    for chunk in result.chunks:
        data = format_data(chunk)
        assert all(q.strip() in data for q in questions)  # every chunk shows its questions
        sent = estimate_tokens(data) - estimate_tokens(format_data([]))  # the fence is overhead
        assert (sent + overhead) * SAFETY + result.findings_tokens <= limit


def test_chunks_of_survey_rows_have_room_for_the_line_naming_their_context_columns():
    columns = tuple(
        f"Column {n}: a long closed question about the household and its plan" for n in range(8)
    )
    passages = []
    for i in range(1, 400):
        cells = tuple((name, str(i % 7)) for name in columns)
        text = "; ".join(f"{name}: {value}" for name, value in cells)
        passages.append(Passage("s.csv", f"row {i}", text, f"P{2 * i}", f"R{i}", False, "", cells))
        passages.append(
            Passage("s.csv", f"row {i}, E", f"answer {i} " * 6, f"P{2 * i + 1}", f"R{i}")
        )
    limit, overhead = 2048, 150
    result = fit(passages, count=3, context_limit=limit, prompt_overhead=overhead)
    assert len(result.chunks) > 2
    assert [p for c in result.chunks for p in c] == passages
    for chunk in result.chunks:
        data = format_data(chunk)
        assert data.count("Context columns: ") == 1  # once per chunk, not once per row
        assert f"{columns[0]}: " not in data
        sent = estimate_tokens(data) - estimate_tokens(format_data([]))
        assert (sent + overhead) * SAFETY + result.findings_tokens <= limit


def test_a_survey_rows_context_too_long_for_a_chunk_is_shown_in_parts_once() -> None:
    long_value = " ".join(f"word{i}" for i in range(6000))
    row = Passage("s.csv", "row 2", f"Notes: {long_value}", citable=False)
    row = replace(row, cells=(("Notes", long_value),))
    result = fit([row, *corpus(3)], count=2, context_limit=4096, prompt_overhead=300)
    parts = [p for chunk in result.chunks for p in chunk if p.locator.startswith("row 2 ")]
    assert len(parts) > 1 and " ".join(p.text for p in parts) == row.text
    shown = "\n".join(format_data(chunk) for chunk in result.chunks)
    assert shown.count("word5999") == 1 and "Context columns: Notes" not in shown


def test_overlong_passage_is_split_into_parts_not_cut():
    long_text = " ".join(f"word{i}" for i in range(6000))
    passages = [Passage("notes.txt", "line 1", long_text), *corpus(3)]
    result = fit(passages, count=2, context_limit=4096, prompt_overhead=300)
    parts = [p for chunk in result.chunks for p in chunk if p.source == "notes.txt"]
    assert len(parts) > 1
    assert " ".join(p.text for p in parts) == long_text
    assert parts[0].locator == f"line 1 (part 1 of {len(parts)})"
    assert result.split_passages == 1
    assert "sent in parts" in result.describe()
    assert result.passages == 4


def test_answer_room_grows_with_persona_count():
    few = fit(corpus(5), count=1, context_limit=32768, prompt_overhead=100)
    many = fit(corpus(5), count=8, context_limit=32768, prompt_overhead=100)
    assert many.answer_tokens > few.answer_tokens
    assert many.num_ctx > few.num_ctx


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"passages": []}, "upload at least one file"),
        ({"context_limit": 1000}, "too small"),
        ({"prompt_overhead": 3900}, "no room for"),
    ],
)
def test_impossible_plans_are_explained(kwargs, message):
    args = {"passages": corpus(200), "count": 3, "context_limit": 4096, "prompt_overhead": 100}
    args.update(kwargs)
    with pytest.raises(InputError, match=message):
        fit(args.pop("passages"), **args)


@pytest.mark.parametrize(
    ("prompt", "answer", "limit", "expected"),
    [
        (100, 100, 8192, MIN_CONTEXT),
        (4000, 1000, 32768, 5632),
        (40000, 1000, 8192, 8192),
    ],
)
def test_num_ctx_for(prompt, answer, limit, expected):
    assert num_ctx_for(prompt, answer, limit) == expected


@pytest.mark.parametrize("context", [2048, 3000, 4096, 8192])
@pytest.mark.parametrize("lines", [50, 400, 5000])
def test_map_reduce_converges_for_any_context_and_size(context, lines):
    result = fit(corpus(lines, words=30), count=3, context_limit=context, prompt_overhead=500)
    if result.mode == "single":
        return
    assert result.synthesis_findings >= 1 and result.merge_batch >= 2
    findings = len(result.chunks) * result.findings_limit
    calls, rounds = count_merges(findings, result.findings_pool, result.merge_batch)
    assert (calls, rounds) == (result.merge_calls, result.merge_rounds)
    assert rounds <= 3 * findings.bit_length()  # shrinks by a fixed share each round


def test_merge_count_shrinks_every_round():
    assert count_merges(5, 10, 8) == (0, 0)
    calls, rounds = count_merges(1000, 6, 8)
    assert rounds >= 1 and calls >= 1000 // 8


def test_a_small_context_asks_for_fewer_personas_per_call():
    big = fit(corpus(10), count=3, context_limit=8192, prompt_overhead=300)
    small = fit(corpus(10), count=3, context_limit=2048, prompt_overhead=300)
    assert big.per_call == 3 and small.per_call == 2 and small.persona_calls == 2
    capped = fit(corpus(10), count=3, context_limit=8192, prompt_overhead=300, per_call=1)
    assert capped.per_call == 1 and "3 calls for the personas (1 per call)" in capped.describe()


def test_split_parts_get_their_own_ids():
    long_text = " ".join(f"word{i}" for i in range(6000))
    passages = [Passage("notes.txt", "line 1", long_text, "P1"), *corpus(3)]
    result = fit(passages, count=2, context_limit=4096, prompt_overhead=300)
    ids = [p.id for chunk in result.chunks for p in chunk if p.source == "notes.txt"]
    assert ids[:2] == ["P1.1", "P1.2"] and len(set(ids)) == len(ids)


def test_estimates_scale_with_the_calibration_factor():
    base = fit(corpus(400), count=3, context_limit=4096, prompt_overhead=300)
    scaled = fit(corpus(400), count=3, context_limit=4096, prompt_overhead=300, factor=1.5)
    assert len(scaled.chunks) > len(base.chunks)


@pytest.mark.parametrize(
    ("synthesis", "calls", "pool"),
    [(20, 1, 20), (20, 3, 57), (2, 3, 3), (1, 3, 1), (1, 1, 1)],
)
def test_the_findings_pool_of_persona_calls(synthesis, calls, pool):
    assert findings_pool(synthesis, calls) == pool


@pytest.mark.parametrize(
    ("seconds", "measured", "text"),
    [
        (None, True, ""),
        (0.2, True, "About 1 s, going by this model's earlier runs."),
        (70, True, "About 70 s, going by this model's earlier runs."),
        (600, True, "About 10 min, going by this model's earlier runs."),
        (
            70,
            False,
            "About 70 s (a cautious guess: this model has not run here yet; the first run "
            "measures its speed).",
        ),
    ],
)
def test_the_estimate_in_words(seconds: float | None, measured: bool, text: str) -> None:
    assert estimate_text(seconds, measured=measured) == text
