"""The context planner: sized num_ctx, chunks that never drop a character."""

from __future__ import annotations

import pytest

from persona.core.documents import Passage
from persona.core.errors import InputError
from persona.core.tokens import estimate_tokens
from persona.generation.planner import MIN_CONTEXT, SAFETY, num_ctx_for, plan


def corpus(lines: int, words: int = 20, source: str = "survey.csv") -> list[Passage]:
    return [
        Passage(source, f"row {i + 2}", " ".join(f"w{i}x{j}" for j in range(words)))
        for i in range(lines)
    ]


def test_small_corpus_is_one_call_with_room_for_the_answer():
    passages = corpus(10)
    result = plan(passages, count=3, context_limit=8192, prompt_overhead=500)
    assert result.mode == "single" and result.calls == 1
    assert result.chunks[0] == tuple(passages)
    needed = (result.corpus_tokens + 500) * SAFETY + result.answer_tokens
    assert needed <= result.num_ctx <= 8192
    assert result.num_ctx % 256 == 0
    assert "1 model call" in result.describe()


def test_num_ctx_is_never_below_minimum():
    result = plan(corpus(1, words=3), count=1, context_limit=8192, prompt_overhead=10)
    assert result.num_ctx == MIN_CONTEXT


@pytest.mark.parametrize("factor", [2, 5, 12])
def test_large_corpus_is_chunked_without_losing_anything(factor):
    limit = 4096
    passages = corpus(int(limit * factor / 40))
    result = plan(passages, count=3, context_limit=limit, prompt_overhead=400)
    assert result.mode == "map-reduce"
    flattened = [p for chunk in result.chunks for p in chunk]
    assert flattened == passages  # same passages, same order, nothing dropped
    assert result.calls == len(result.chunks) + 1
    assert result.num_ctx <= limit
    for chunk in result.chunks:
        tokens = sum(estimate_tokens(p.text) + 1 + len(p.locator) // 4 for p in chunk)
        assert (tokens + 400) * SAFETY + result.findings_tokens <= limit
    assert f"{len(result.chunks)} chunks, {result.calls} model calls" in result.describe()


def test_overlong_passage_is_split_into_parts_not_cut():
    long_text = " ".join(f"word{i}" for i in range(6000))
    passages = [Passage("notes.txt", "line 1", long_text), *corpus(3)]
    result = plan(passages, count=2, context_limit=4096, prompt_overhead=300)
    parts = [p for chunk in result.chunks for p in chunk if p.source == "notes.txt"]
    assert len(parts) > 1
    assert " ".join(p.text for p in parts) == long_text
    assert parts[0].locator == f"line 1 (part 1 of {len(parts)})"
    assert result.split_passages == 1
    assert "sent in parts" in result.describe()
    assert result.passages == 4


def test_answer_room_grows_with_persona_count():
    few = plan(corpus(5), count=1, context_limit=32768, prompt_overhead=100)
    many = plan(corpus(5), count=8, context_limit=32768, prompt_overhead=100)
    assert many.answer_tokens > few.answer_tokens
    assert many.num_ctx > few.num_ctx


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"passages": []}, "upload at least one file"),
        ({"context_limit": 1000}, "too small"),
        ({"prompt_overhead": 3900}, "no room for data"),
    ],
)
def test_impossible_plans_are_explained(kwargs, message):
    args = {"passages": corpus(200), "count": 3, "context_limit": 4096, "prompt_overhead": 100}
    args.update(kwargs)
    with pytest.raises(InputError, match=message):
        plan(args.pop("passages"), **args)


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
