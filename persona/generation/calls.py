"""One model call of a generation run: streamed, stopped when it loops, its usage counted and
the token estimate calibrated on it."""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from typing import Any

from persona.core.errors import GenerationError
from persona.core.progress import Progress
from persona.core.tokens import estimate_tokens
from persona.engines.base import ChatOptions, Usage
from persona.generation import prompts
from persona.generation.planner import SAFETY, num_ctx_for
from persona.generation.repetition import LoopDetector
from persona.generation.state import RunState


class Cancelled(Exception):
    """The run was closed while a call was under way."""


def opening(prompt: str) -> list[dict[str, str]]:
    """A call's first messages: the run's one system text, then ``prompt`` (which starts with
    the study prefix): every call of a run shares them up to what it asks for."""
    return [{"role": "system", "content": prompts.SYSTEM}, {"role": "user", "content": prompt}]


def message_tokens(messages: Sequence[Mapping[str, str]]) -> int:
    return sum(estimate_tokens(m["content"]) for m in messages)


def call(
    run: RunState,
    messages: list[dict[str, str]],
    schema: dict[str, Any],
    room: int,
    title: str,
    *,
    calibrate: bool = True,
    seed: int | None = None,
    temperature: float | None = None,
    most: int | None = None,
) -> Generator[Progress, None, tuple[str, str]]:
    """Stream one chat call; returns its text and why it was cut ("" when it was not).

    A looping answer is stopped early (the engine's iterator is closed). The engine
    refuses an answer to a prompt it cut at the context limit. ``seed``, ``temperature``: the
    call's own (default: the run's); ``most``: the most tokens its answer may take (default:
    what the context leaves)."""
    request = run.request
    sent = message_tokens(messages)
    limit = run.plan.context_limit
    num_ctx = run.context_for(num_ctx_for(run.calibration.scale(sent), room, limit))
    predict = max(room, num_ctx - int(run.calibration.scale(sent) * SAFETY))
    predict = predict if most is None else min(predict, most)
    options = ChatOptions(
        num_ctx=num_ctx,
        temperature=request.temperature if temperature is None else temperature,
        seed=request.seed if seed is None else seed,
        max_tokens=predict,
    )
    yield run.event("generate", title)
    text = ""
    usage = Usage()
    loop = LoopDetector()
    with run.lock:
        run.result.calls += 1
    stream = run.engine.chat(request.model, messages, schema=schema, options=options)
    try:
        for piece in stream:
            if run.cancel.is_set():
                raise Cancelled
            if isinstance(piece, Usage):
                usage = piece
                continue
            text += piece
            yield run.event("generate", title, text=piece)
            if loop.feed(piece):
                break
    except GenerationError as exc:
        exc.raw = exc.raw or text
        raise
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    with run.lock:
        run.result.prompt_tokens += usage.prompt_tokens or sent
        run.result.answer_tokens += usage.output_tokens or estimate_tokens(text)
        run.result.seconds += usage.seconds or 0.0
        run.result.answer_seconds += usage.output_seconds or 0.0
    if calibrate:
        run.calibration.record(sent, usage.prompt_tokens)
    if loop.looping:
        return text, (
            "the answer started repeating itself and was stopped: write each text once, "
            "and keep every text short"
        )
    if usage.stop_reason == "length":
        return text, (
            f"the answer was cut off at the {predict:,}-token limit: keep every text short "
            "(one sentence per claim)"
        )
    return text, ""
