"""How fast a model has run on this machine, measured from the runs in History.

Plans use it to estimate how long a run will take, progress to show an ETA, and the Models
page to say how many tokens per second a model writes here.
"""

from __future__ import annotations

from dataclasses import dataclass

from persona.history.store import Store


@dataclass(frozen=True)
class ModelSpeed:
    """Measured rates of one model on this machine."""

    model: str
    prompt_tokens_per_second: float
    """Tokens read per second of call time left after writing (prompt processing and loading)."""
    output_tokens_per_second: float
    runs: int
    """How many runs the measurement is based on (0: a cautious guess, see
    :func:`expected_speed`)."""

    @property
    def measured(self) -> bool:
        return self.runs > 0

    def seconds_for(self, prompt_tokens: int, output_tokens: int) -> float:
        """Estimated seconds for calls that read and write this many tokens in all."""
        return (
            prompt_tokens / self.prompt_tokens_per_second
            + output_tokens / self.output_tokens_per_second
        )


def measured_speed(store: Store, model: str, *, runs: int = 20) -> ModelSpeed | None:
    """The model's speed over its latest ``runs`` runs with timings, or None before any."""
    prompt_tokens = answer_tokens = 0
    reading_seconds = writing_seconds = 0.0
    used = 0
    for usage in store.usages(model, limit=runs):
        seconds = float(usage.get("seconds") or 0.0)
        answer_seconds = float(usage.get("answer_seconds") or 0.0)
        answers = int(usage.get("answer_tokens") or 0)
        prompts = int(usage.get("prompt_tokens") or 0)
        if seconds <= 0 or answers <= 0:
            continue
        if not 0 < answer_seconds < seconds:
            # The engine did not split reading from writing: count the whole call as writing,
            # which overestimates durations rather than promising too little.
            answer_seconds = seconds
        used += 1
        prompt_tokens += prompts
        answer_tokens += answers
        writing_seconds += answer_seconds
        reading_seconds += seconds - answer_seconds
    if not used:
        return None
    read_rate = prompt_tokens / reading_seconds if reading_seconds > 0 else float("inf")
    return ModelSpeed(
        model=model,
        prompt_tokens_per_second=read_rate,
        output_tokens_per_second=answer_tokens / writing_seconds,
        runs=used,
    )


GUESS_PARAMETERS = 8_000_000_000
"""The size assumed of a model whose size is not known (a common local model)."""
GUESS_WRITE_PER_BILLION = 8.0
"""Tokens per second a 1-billion-parameter model writes on a modest CPU, on the slow side:
writing speed falls about in proportion to the parameters read per token."""
GUESS_READ_PER_BILLION = 60.0
"""Tokens per second such a model reads (prompt processing is several times faster)."""


def expected_speed(store: Store | None, model: str, parameters: int | None) -> ModelSpeed:
    """The model's measured speed here, else a cautious guess from its size.

    The guess (``runs == 0``) errs on the slow side so an estimate rarely promises too
    little; the first run measures the real speed, and later plans use it.
    """
    own = measured_speed(store, model) if store is not None else None
    if own is not None:
        return own
    billions = (parameters or GUESS_PARAMETERS) / 1e9
    return ModelSpeed(
        model=model,
        prompt_tokens_per_second=GUESS_READ_PER_BILLION / billions,
        output_tokens_per_second=GUESS_WRITE_PER_BILLION / billions,
        runs=0,
    )


def speed_hint(store: Store, model: str, parameters: int | None, known: dict[str, int]) -> str:
    """How fast ``model`` writes on this machine, for the Models page.

    Measured from its own runs where there are any; else estimated from another model's
    measured speed (``known``: model → parameter count), scaled by size, since on a CPU
    writing speed falls about in proportion to the parameters read per token.
    """
    own = measured_speed(store, model)
    if own is not None:
        runs = f"{own.runs} run" + ("" if own.runs == 1 else "s")
        return (
            f"On this machine {model} writes about {own.output_tokens_per_second:.0f} tokens "
            f"per second (measured over {runs} in History)."
        )
    if parameters:
        for other, size in known.items():
            measured = measured_speed(store, other) if other != model and size else None
            if measured is not None:
                rate = measured.output_tokens_per_second * size / parameters
                return (
                    f"On this machine {model} should write about {rate:.0f} tokens per second "
                    f"(estimated from {other}'s measured speed, scaled by size)."
                )
    return f"No runs in History yet to measure how fast {model} writes on this machine."
