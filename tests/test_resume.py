"""Finished work is kept: chunk findings and personas saved as they arrive, runs resumed from
History."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from persona.core.errors import GenerationError, InputError, OllamaUnreachable, PersonaError
from persona.generation.pipeline import SavedGeneration, can_resume
from persona.generation.request import GenerationRequest
from persona.history.store import Store
from persona.ingest import read_files
from tests.fakes import ScriptedEngine


def diary(days: int) -> bytes:
    lines = [
        f"D{i % 5}: on day {i} the bike dock near stop {i % 11} was "
        f"{'full' if i % 2 else 'empty'} and I was {'late' if i % 3 else 'on time'} for work."
        for i in range(1, days + 1)
    ]
    return "\n".join(lines).encode()


FILES = [("diary.md", diary(160)), ("notes.md", diary(90))]


def request() -> GenerationRequest:
    return GenerationRequest(model="m", count=2, seed=3, max_repairs=0, chunk_retries=0)


def test_a_run_that_fails_late_is_resumed_with_only_the_missing_calls(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.sqlite3")
    reading = read_files(FILES)
    dead = {"on": False}

    def fail(prompt: str) -> Exception | None:
        if "Write 1 persona " in prompt or "Write 2 personas " in prompt:
            dead["on"] = True
        return OllamaUnreachable("http://127.0.0.1:9") if dead["on"] else None

    engine = ScriptedEngine(context_length=2048, fail=fail)
    local = SavedGeneration(engine, reading, request(), store)
    chunks = len(local.generation.plan.chunks)
    with pytest.raises(PersonaError, match="not reachable"):
        list(local.events())
    saved = store.get(local.run.id)
    assert saved.status == "failed" and saved.records == []
    assert f"persona resume {saved.id}" in saved.message
    assert len(store.chunks(saved.id)) == chunks and can_resume(saved, store)

    # The same files, in another order: passage IDs follow the run's own order.
    again = read_files(list(reversed(FILES)))
    healthy = ScriptedEngine(context_length=2048)
    resumed = SavedGeneration.resume(healthy, again, store, saved.id)
    assert resumed.generation.plan.chunks == ()
    list(resumed.events())
    finding_calls = [
        c
        for c in healthy.calls
        if "findings of this part of the study" in c["messages"][1]["content"]
    ]
    assert finding_calls == []  # no chunk was read twice
    done = store.get(saved.id)
    assert done.status in ("complete", "partial") and len(done.records) == 2
    assert done.usage.calls == len(engine.calls) + len(healthy.calls)
    assert all(e.verified for p in done.personas for e in p.all_evidence())


@pytest.mark.parametrize("parallel", [1, 4])
def test_each_persona_is_shown_and_saved_before_the_last_call_ends(
    tmp_path: Path, parallel: int
) -> None:
    store = Store(tmp_path / "h.sqlite3")
    wanted = GenerationRequest(model="m", count=3, seed=3, parallel=parallel)
    healthy = ScriptedEngine(context_length=2048)
    list(SavedGeneration(healthy, read_files(FILES), wanted, store).events())
    last = [c for c in healthy.calls if "personas" in c["schema"]["properties"]][-1]
    release = threading.Event()

    def hold_the_last(prompt: str) -> None:
        if prompt == last["messages"][1]["content"]:
            assert release.wait(10), "the run waited for the last persona call"

    engine = ScriptedEngine(context_length=2048, fail=hold_the_last)
    local = SavedGeneration(engine, read_files(FILES), wanted, store)
    assert local.generation.plan.persona_calls == 3
    events = local.events()
    if parallel == 1:  # the last call only starts once the others are done
        threading.Timer(0.5, release.set).start()
    first = next(e for e in events if e.persona is not None)
    saved = store.get(local.run.id)
    assert saved.status == "running" and len(saved.records) >= 1
    assert saved.records[0].draft == first.persona  # the one shown, as saved
    assert all(e.verified for e in first.persona.all_evidence())  # checked before it is shown
    if parallel > 1:
        assert not release.is_set()  # shown while the last call is still under way
    release.set()
    rest = [e.persona for e in events if e.persona is not None]
    done = store.get(local.run.id)
    assert done.status == "complete" and [r.draft for r in done.records] == [first.persona, *rest]
    assert [p.name for p in done.personas] == [p.name for p in local.generation.result.personas]


def test_an_interrupted_map_resumes_the_missing_chunks(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.sqlite3")
    reading = read_files(FILES)
    local = SavedGeneration(ScriptedEngine(context_length=2048), reading, request(), store)
    events = local.events()
    for event in events:
        if event.message.startswith("Read part 2 of"):
            break
    events.close()
    saved = store.get(local.run.id)
    assert saved.status == "interrupted" and len(store.chunks(saved.id)) == 2
    engine = ScriptedEngine(context_length=2048)
    resumed = SavedGeneration.resume(engine, read_files(FILES), store, saved.id)
    missing = len(local.generation.plan.chunks) - 2
    assert len(resumed.generation.plan.chunks) == missing
    list(resumed.events())
    reads = [
        c
        for c in engine.calls
        if "findings of this part of the study" in c["messages"][1]["content"]
    ]
    assert len(reads) == missing
    assert len(store.get(saved.id).records) == 2


def test_resume_needs_the_same_files_and_a_resumable_run(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.sqlite3")
    local = SavedGeneration(
        ScriptedEngine(context_length=2048), read_files(FILES), request(), store
    )
    list(local.events())
    with pytest.raises(InputError, match="nothing to resume"):
        SavedGeneration.resume(ScriptedEngine(), read_files(FILES), store, local.run.id)
    failing = ScriptedEngine(context_length=2048, fail=lambda p: OllamaUnreachable("x"))
    broken = SavedGeneration(failing, read_files(FILES), request(), store)
    with pytest.raises(GenerationError):
        list(broken.events())
    with pytest.raises(InputError, match="saved no findings"):
        SavedGeneration.resume(ScriptedEngine(), read_files(FILES), store, broken.run.id)


def test_resume_refuses_changed_files(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.sqlite3")
    local = SavedGeneration(
        ScriptedEngine(context_length=2048), read_files(FILES), request(), store
    )
    events = local.events()
    for event in events:
        if event.message.startswith("Read part 1 of"):
            break
    events.close()
    changed = read_files([FILES[0], ("notes.md", diary(91))])
    with pytest.raises(InputError, match=r"notes\.md"):
        SavedGeneration.resume(ScriptedEngine(), changed, store, local.run.id)


def test_the_plan_guesses_a_duration_until_a_run_measures_one(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.sqlite3")
    first = SavedGeneration(
        ScriptedEngine(context_length=2048), read_files(FILES), request(), store
    )
    assert not first.generation.plan.estimate_measured
    assert "a cautious guess: this model has not run here yet" in first.generation.plan.describe()
    list(first.events())
    second = SavedGeneration(
        ScriptedEngine(context_length=2048), read_files(FILES), request(), store
    )
    assert second.generation.plan.estimate_measured
    described = second.generation.plan.describe()
    assert "going by this model's earlier runs." in described and "guess" not in described
    assert second.generation.plan.estimated_seconds is not None
    etas = [e.eta for e in second.events() if e.eta is not None]
    assert etas and etas[-1] == 0.0
