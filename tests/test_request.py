"""A generation request saved with its run (RunOptions) and read back from it."""

from __future__ import annotations

from dataclasses import fields

import pytest

from persona.core.records import RunOptions
from persona.generation.request import GenerationOptions, GenerationRequest


@pytest.mark.parametrize(
    "request_",
    [
        GenerationRequest(model="m"),
        GenerationRequest(
            model="m",
            count=5,
            context="Nurses on night shifts",
            temperature=0.9,
            seed=3,
            max_repairs=0,
            context_cap=8192,
            parallel=2,
            language="German",
            per_call=2,
        ),
    ],
)
def test_a_request_goes_back_from_what_the_run_recorded(request_: GenerationRequest) -> None:
    options = request_.to_options(num_ctx=4096, plan="one prompt", interviewers={"a.vtt": "Dana"})
    reloaded = RunOptions.model_validate_json(options.model_dump_json())
    assert GenerationRequest.from_options("m", reloaded) == request_
    assert (reloaded.num_ctx, reloaded.plan, reloaded.interviewers) == (
        4096,
        "one prompt",
        {"a.vtt": "Dana"},
    )


def test_the_keyword_options_are_the_request_s_settings() -> None:
    """``persona.generate(..., **options)`` takes exactly the request's settings (``model``
    and ``count`` are their own arguments): a new setting cannot be left out of the API."""
    settings = {f.name for f in fields(GenerationRequest)} - {"model", "count"}
    assert set(GenerationOptions.__annotations__) == settings
