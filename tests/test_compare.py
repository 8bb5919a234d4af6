"""The same study through two or three models, side by side, every run in History."""

from __future__ import annotations

from pathlib import Path

import pytest

from persona import api
from persona.api.compare import compare
from persona.cli.commands import main
from persona.cli.exits import EXIT_OK
from persona.core.errors import InputError
from persona.core.records import PersonaRecord, Run
from persona.core.schema import Persona
from persona.engines.ollama import OllamaClient
from persona.engines.ollama.engine import OllamaEngine
from persona.generation.compare import (
    VERDICTS,
    Comparison,
    Contender,
    Entry,
    align,
    side_by_side,
)
from persona.generation.request import GenerationRequest
from persona.history.store import Store
from persona.ingest import read_paths
from persona.ingest.roles import ColumnRole, TableChoice
from tests.fake_ollama import FakeOllama
from tests.fakes import MARIA, TOM, QueuedEngine

ROOT = Path(__file__).resolve().parent.parent
INTERVIEWS = ROOT / "samples" / "interviews"
MODELS = ("llama3.2:3b", "mistral:7b")


def test_two_models_run_saved_and_laid_side_by_side(
    fake_ollama: FakeOllama, tmp_path: Path
) -> None:
    reading = read_paths([INTERVIEWS])
    store = Store(tmp_path / "h.sqlite3")
    with OllamaClient(fake_ollama.url) as client:
        engine = OllamaEngine(client)
        comparison = Comparison(
            [Contender(engine, m) for m in MODELS],
            reading,
            GenerationRequest(model=MODELS[0], count=2, seed=3),
            store,
            study="Commute interviews",
        )
        events = list(comparison.events())
    assert [e.message.split(": ")[0] for e in events if e.stage == "plan"] == list(MODELS)
    assert events[-1].fraction == 1.0
    assert [c.body["model"] for c in fake_ollama.log("/api/chat")] == list(MODELS)
    saved = {s.model for s in store.list()}
    assert saved == set(MODELS)
    assert {s.study for s in store.list()} == {"Commute interviews"}  # not named after files
    rows = side_by_side(comparison.entries)
    table = {row[""]: row for row in rows}
    assert list(rows[0]) == ["", *MODELS]
    for model in MODELS:
        run = next(e.run for e in comparison.entries if e.label == model)
        assert run is not None
        assert table[VERDICTS][model] == run.summary.text
        assert table["Tokens"][model].endswith(" out")
        assert table["Coverage"][model].startswith(("All ", "Not represented"))
        names = {table[f"Persona {n}"][model].split(" — ")[0] for n in (1, 2)}
        assert names == {p.name for p in run.personas}
        for persona in run.personas:  # the quotes are shown exactly as the data has them
            assert any(f"“{persona.quote.quote}”" in row[model] for row in rows)


def test_a_failing_model_does_not_stop_the_others(fake_ollama: FakeOllama, tmp_path: Path) -> None:
    reading = read_paths([INTERVIEWS])
    with OllamaClient(fake_ollama.url) as client:
        engine = OllamaEngine(client)
        comparison = Comparison(
            [Contender(engine, "missing:1b"), Contender(engine, MODELS[0])],
            reading,
            GenerationRequest(model="x", count=2),
            Store(tmp_path / "h.sqlite3"),
        )
        events = list(comparison.events())
    first, second = comparison.entries
    assert "missing:1b" in first.error
    assert first.run is None  # it failed before a run started: nothing half-saved
    assert second.run is not None and second.run.records and not second.error
    assert any(e.stage == "warning" and e.message.startswith("missing:1b") for e in events)
    rows = side_by_side(comparison.entries)
    assert rows[0]["missing:1b"].startswith("failed: ")


def test_contenders_are_two_or_three_different_models(tmp_path: Path) -> None:
    reading = read_paths([INTERVIEWS])
    request = GenerationRequest(model="m")
    engine = QueuedEngine()
    with pytest.raises(InputError, match="two or three"):
        Comparison([Contender(engine, "a")], reading, request, Store(tmp_path / "h"))
    with pytest.raises(InputError, match="different"):
        Comparison([Contender(engine, "a")] * 2, reading, request, Store(tmp_path / "h"))


def test_align_puts_the_closest_personas_next_to_each_other() -> None:
    maria, tom = Persona.model_validate(MARIA), Persona.model_validate(TOM)
    other = tom.model_copy(update={"name": "Other"})
    assert align([[maria, tom], [other, maria]]) == [[0, 1], [1, 0]]
    assert align([[maria], [tom, maria]]) == [[0, 1], [None, 0]]


def test_cli_compare_prints_the_table_and_writes_it(
    fake_ollama, capsys, tmp_path, data_dir
) -> None:
    code = main(
        [
            "compare",
            "--models",
            ",".join(MODELS),
            "--from",
            str(INTERVIEWS),
            "--count",
            "2",
            "--out",
            str(tmp_path),
            "--host",
            fake_ollama.url,
        ]
    )
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    assert f"{VERDICTS}\n  llama3.2:3b: " in out and "  mistral:7b: " in out
    assert "Weak-support citations\n  llama3.2:3b: " in out
    written = Path(out.strip().splitlines()[-1])
    text = written.read_text(encoding="utf-8")
    assert text.startswith("# Model comparison") and f"| | {MODELS[0]} | {MODELS[1]} |" in text
    assert "| Weak-support citations | " in text
    assert "Saved to History: llama3.2:3b: run " in err
    assert len(Store(data_dir / "history.sqlite3").list()) == 2


def test_weak_support_citations_are_counted_per_model() -> None:
    maria, tom = Persona.model_validate(MARIA), Persona.model_validate(TOM)
    weak = maria.model_copy(deep=True)
    weak.goals[0].evidence[0].weak_support = True
    weak.pain_points[0].evidence[0].weak_support = True
    cited = sum(len(c.evidence) for p in (weak, tom) for _, c in p.claims())
    strong_cited = sum(len(c.evidence) for p in (maria, tom) for _, c in p.claims())
    entries = [
        Entry("a", Run(model="a", records=[PersonaRecord(draft=weak), PersonaRecord(draft=tom)])),
        Entry("b", Run(model="b", records=[PersonaRecord(draft=maria), PersonaRecord(draft=tom)])),
    ]
    rows = side_by_side(entries)
    table = {row[""]: row for row in rows}
    labels = [row[""] for row in rows]
    assert labels.index("Weak-support citations") == labels.index(VERDICTS) + 1
    assert table["Weak-support citations"]["a"] == f"2 of {cited} quotes cited with weak support"
    assert table["Weak-support citations"]["b"] == (
        f"None of {strong_cited} quotes cited with weak support"
    )
    maria_row = next(n for n in (1, 2) if "Maria" in table[f"Persona {n}"]["a"])
    assert table[f"Persona {maria_row}: quotes found"]["a"].endswith(", 2 with weak support")
    assert "weak support" not in table[f"Persona {maria_row}: quotes found"]["b"]
    claims = table[f"Persona {maria_row}: goals and pain points"]
    assert claims["a"].count("⚠ weak support") == 2 and "weak support" not in claims["b"]
    failed = side_by_side([Entry("a", None, "boom"), entries[1]])
    assert {r[""]: r for r in failed}["Weak-support citations"]["a"] == "failed: boom"


# --- persona.api.compare: the one call every face makes --------------------------------------


@pytest.fixture
def survey_study(data_dir: Path) -> str:
    """A study of the interviews and a small survey whose ``Said`` column is context only."""
    survey = ("survey.csv", b"Id,Said\n1,Too slow on the bridge\n2,Buses late\n")
    api.add_to_study("Commuters", [*((p.name, p.read_bytes()) for p in INTERVIEWS.iterdir())])
    api.add_to_study("Commuters", [survey])
    roles: dict[str, ColumnRole] = {"Id": "answer", "Said": "context"}
    api.set_study_choices("Commuters", choices={"survey.csv": TableChoice(roles=roles)})
    return "Commuters"


@pytest.mark.parametrize(("setting", "expected"), [(None, 1), ("3", 3)])
def test_compare_sends_what_the_settings_and_engine_allow(
    fake_ollama: FakeOllama,
    survey_study: str,
    monkeypatch: pytest.MonkeyPatch,
    setting: str | None,
    expected: int,
) -> None:
    if setting is not None:
        monkeypatch.setenv("PERSONA_PARALLEL", setting)
    store = api.open_history()
    with OllamaClient(fake_ollama.url) as client:
        job = compare(
            MODELS, study=survey_study, count=2, seed=3, engine=OllamaEngine(client), store=store
        )
        assert job.parallel == expected
        entries = job.wait()
    assert [e.label for e in entries] == list(MODELS)
    runs = [store.get(e.run.id) for e in entries if e.run]
    assert [run.options.parallel for run in runs] == [expected, expected]
    saved = api.study(survey_study).choices["survey.csv"]
    for run in runs:  # every run records the study's saved column choices
        assert run.study == survey_study
        assert run.options.columns["survey.csv"]["roles"] == saved["roles"]
        assert run.options.columns["survey.csv"]["roles"]["Said"] == "context"


def test_compare_takes_a_parallel_given_over_the_settings(
    fake_ollama: FakeOllama, survey_study: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERSONA_PARALLEL", "3")
    with OllamaClient(fake_ollama.url) as client:
        job = compare(MODELS, study=survey_study, parallel=2, engine=OllamaEngine(client))
    assert job.parallel == 2


def test_compare_runs_once_and_needs_files(fake_ollama: FakeOllama, data_dir: Path) -> None:
    with pytest.raises(InputError, match="Give the files to read"):
        compare(MODELS)
    with OllamaClient(fake_ollama.url) as client:
        engine = OllamaEngine(client)
        with pytest.raises(InputError, match="different"):
            compare([MODELS[0], MODELS[0]], read_paths([INTERVIEWS]), engine=engine)
        job = compare(MODELS, read_paths([INTERVIEWS]), count=1, engine=engine)
        first = job.wait()
        with pytest.raises(InputError, match="already run"):
            iter(job)
    assert len(first) == 2 and all(e.run and not e.error for e in first)


def test_cli_compare_honours_the_parallel_option(fake_ollama, capsys, tmp_path, data_dir) -> None:
    args = ["compare", "--models", ",".join(MODELS), "--from", str(INTERVIEWS), "--count", "1"]
    code = main([*args, "--out", str(tmp_path), "--host", fake_ollama.url, "--parallel", "2"])
    assert code == EXIT_OK, capsys.readouterr().err
    runs = [Store(data_dir / "history.sqlite3").get(s.id) for s in api.open_history().list()]
    assert [run.options.parallel for run in runs] == [2, 2]
