"""Run.options and Run.usage as typed records: what History stored before still loads, and
what a run records goes back to the request it was made with."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from persona.core.records import Run, RunOptions, RunUsage
from persona.generation.request import GenerationRequest
from persona.history.store import Store

OLD_OPTIONS = {
    "count": 4,
    "context": "Commuters",
    "temperature": 0.2,
    "seed": 11,
    "num_ctx": 6144,
    "context_cap": 16384,
    "parallel": 2,
    "per_call": None,
    "max_repairs": 1,
    "plan": "Your data fits in one prompt.",
    "language": None,
    "columns": {"survey.csv": {"sheets": None, "roles": {"Age": "context"}}},
    "interviewers": None,
    "threshold": 75,
}
"""Options as an earlier Persona saved them: a language and interviewers left null, and a
setting this version does not know."""
OLD_USAGE = {
    "calls": 7,
    "prompt_tokens": 9000,
    "answer_tokens": 1200,
    "seconds": 31.5,
    "answer_seconds": 20.25,
    "failed_chunks": 1,
    "dropped_ids": 3,
    "frontier": {"model": "claude-x", "cost_usd": 0.12, "sends": 1},
}


def _stored_as_before(tmp_path: Path, options: dict[str, object], usage: dict[str, object]) -> Run:
    """A run whose options and usage columns hold ``options`` and ``usage``, read back."""
    store = Store(tmp_path / "history.db")
    run = Run(model="m")
    store.save(run)
    with sqlite3.connect(store.path) as conn:
        conn.execute(
            "UPDATE runs SET options = ?, usage = ? WHERE id = ?",
            (json.dumps(options), json.dumps(usage), run.id),
        )
    return store.get(run.id)


def test_a_run_history_saved_before_loads_with_typed_options_and_usage(tmp_path: Path) -> None:
    run = _stored_as_before(tmp_path, OLD_OPTIONS, OLD_USAGE)
    assert (run.options.count, run.options.seed, run.options.parallel) == (4, 11, 2)
    assert run.options.language == "" and run.options.interviewers == {}
    assert run.options.columns["survey.csv"]["roles"] == {"Age": "context"}
    assert (run.usage.calls, run.usage.seconds, run.usage.dropped_ids) == (7, 31.5, 3)
    assert run.usage.frontier == {"model": "claude-x", "cost_usd": 0.12, "sends": 1}


def test_a_run_saved_before_any_setting_was_recorded_loads(tmp_path: Path) -> None:
    run = _stored_as_before(tmp_path, {}, {})
    assert run.options == RunOptions() and run.usage == RunUsage()
    assert GenerationRequest.from_options("m", run.options) == GenerationRequest(model="m")


def test_saving_an_old_run_again_keeps_what_it_recorded(tmp_path: Path) -> None:
    """A setting this version does not know is kept, not dropped, when the run is saved."""
    run = _stored_as_before(tmp_path, OLD_OPTIONS, OLD_USAGE)
    saved = json.loads(run.model_dump_json())
    assert saved["options"]["threshold"] == 75
    assert {k: saved["options"][k] for k in ("count", "seed", "plan")} == {
        "count": 4,
        "seed": 11,
        "plan": "Your data fits in one prompt.",
    }
    assert saved["usage"] == OLD_USAGE


def test_an_old_request_takes_what_was_recorded_and_the_defaults_for_the_rest() -> None:
    request = GenerationRequest.from_options("m", RunOptions.model_validate(OLD_OPTIONS))
    assert request == GenerationRequest(
        model="m",
        count=4,
        context="Commuters",
        temperature=0.2,
        seed=11,
        max_repairs=1,
        context_cap=16384,
        parallel=2,
    )


def test_a_local_run_saves_its_usage_as_before() -> None:
    """No ``frontier`` entry until a refinement records one (History and exports as before)."""
    usage = RunUsage(calls=2, prompt_tokens=900)
    assert "frontier" not in json.loads(usage.model_dump_json())
    refined = usage.model_copy(update={"frontier": {"cost_usd": 0.1}})
    assert json.loads(refined.model_dump_json())["frontier"] == {"cost_usd": 0.1}
