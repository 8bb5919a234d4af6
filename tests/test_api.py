"""The documented Python API, including the README's notebook example, run as written."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

import persona
from persona.core.errors import InputError, OllamaUnreachable, PersonaError
from persona.ingest.roles import TableChoice
from tests.fake_ollama import FakeOllama
from tests.fakes import ScriptedEngine

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def readme_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- api-example -->\s*```python\n(.*?)```", readme, re.DOTALL)
    assert block, "README.md lost its <!-- api-example --> block"
    return block.group(1)


@pytest.fixture
def study_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(SAMPLES / "interviews", tmp_path / "interviews")
    shutil.copy(SAMPLES / "survey_excel_export.csv", tmp_path / "survey.csv")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_readme_example_runs_as_written(
    study_folder: Path, fake_ollama: FakeOllama, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", fake_ollama.url)
    namespace: dict[str, object] = {}
    exec(compile(readme_example(), "README.md", "exec"), namespace)
    job = namespace["job"]
    table: Any = namespace["table"]
    assert isinstance(job, persona.GenerationJob)
    run = job.run
    assert run.status in ("complete", "partial") and len(run.records) == 3
    assert persona.open_history().get(run.id).id == run.id, "the run was not saved to History"
    assert list(table.columns) == [
        "persona",
        "status",
        "section",
        "claim",
        "quote",
        "source",
        "locator",
        "passage",
        "verified",
        "support",
        "represents",
        "share of study",
    ]
    assert set(table["persona"]) == {p.name for p in run.personas}
    assert len(table) == sum(len(p.all_evidence()) for p in run.personas)
    assert namespace["run"] is run


def test_plan_export_and_verify(study_folder: Path, fake_ollama: FakeOllama) -> None:
    from persona.engines.ollama.engine import OllamaEngine

    engine = OllamaEngine(host=fake_ollama.url)
    study = persona.read("interviews")
    assert study.ok_count == 3 and not study.failed
    plan = persona.plan(study, "llama3.2:3b", engine=engine)
    assert plan.mode == "single" and plan.calls == 1
    run = persona.generate(study, "llama3.2:3b", count=2, engine=engine, seed=3).wait()
    checked = persona.verify(run.personas, study)
    assert [p.name for p in checked] == [p.name for p in run.personas]
    assert all(e.verified is not None for p in checked for e in p.all_evidence())
    assert [p.unusable for p in checked] == [p.unusable for p in run.personas]  # same checks
    target = study_folder / "personas.md"
    data = persona.export(run, "md", target)
    assert target.read_bytes() == data and run.personas[0].name in data.decode()
    with pytest.raises(InputError, match="already exists"):
        persona.export(run, "md", target)
    assert target.read_bytes() == data


def test_a_job_runs_once(study_folder: Path, fake_ollama: FakeOllama) -> None:
    from persona.engines.ollama.engine import OllamaEngine

    job = persona.generate(
        persona.read("interviews"), "llama3.2:3b", engine=OllamaEngine(host=fake_ollama.url)
    )
    job.wait()
    with pytest.raises(InputError, match="already run"):
        iter(job)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: persona.read(), "at least one"),
        (lambda: persona.generate(persona.read("nowhere"), "m"), "Nothing was read"),
        # mypy rejects the misspelt option too (the ignore must stay needed: tests/test_lint.py)
        (lambda: persona.plan(persona.read("interviews"), "m", colour="red"), "Unknown"),  # type: ignore[call-arg]
    ],
)
def test_bad_calls_say_what_to_do(study_folder: Path, call, message: str) -> None:
    with pytest.raises(InputError, match=message):
        call()


def test_the_default_engine_follows_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from persona.engines.builtin import BuiltinEngine
    from persona.engines.ollama.engine import OllamaEngine

    assert isinstance(persona.api.default_engine(), OllamaEngine)
    monkeypatch.setenv("PERSONA_ENGINE", "builtin")
    assert isinstance(persona.api.default_engine(), BuiltinEngine)


def test_the_calls_the_cli_and_pages_use(study_folder: Path, fake_ollama: FakeOllama) -> None:
    from persona.engines.ollama.engine import OllamaEngine

    engine = OllamaEngine(host=fake_ollama.url)
    files = sorted((study_folder / "interviews").iterdir())
    uploads = persona.read_uploads([(f.name, f.read_bytes()) for f in files])
    on_disk = persona.read("interviews")
    assert [r.name for r in uploads.reports] == [f.name for f in files]
    assert [p.text for p in uploads.passages] == [p.text for p in on_disk.passages]

    history = persona.open_history()
    plan = persona.plan(uploads, "llama3.2:3b", count=2, engine=engine, store=history)
    job = persona.generate(
        uploads, "llama3.2:3b", count=2, engine=engine, store=history, plan=plan, study="Pilot"
    )
    assert job.plan is plan
    run = job.wait()
    assert history.get(run.id).study == "Pilot"
    assert not persona.can_resume(run, history), "a finished run has nothing to resume"
    with pytest.raises(InputError, match="nothing to"):
        persona.resume(run.id, uploads, engine=engine, store=history)

    exported = persona.export_file(run, "csv")
    assert exported.name.startswith("pilot-personas-") and exported.name.endswith(".csv")
    assert exported.mime == "text/csv" and exported.data == persona.export(run, "csv")
    first = persona.save_export(run, "md", study_folder / "out")
    second = persona.save_export(run, "md", study_folder / "out")
    assert first.parent == second.parent == study_folder / "out" and first != second
    assert first.read_bytes() == second.read_bytes() == persona.export(run, "md")


# --- studies ---------------------------------------------------------------------------------


def diary(days: int) -> bytes:
    lines = [
        f"D{i % 5}: on day {i} the bike dock near stop {i % 11} was "
        f"{'full' if i % 2 else 'empty'} and I was {'late' if i % 3 else 'on time'} for work."
        for i in range(1, days + 1)
    ]
    return "\n".join(lines).encode()


def test_a_study_round_trip_through_the_api(tmp_path: Path) -> None:
    folder = tmp_path / "interviews"
    shutil.copytree(SAMPLES / "interviews", folder)
    created = persona.create_study("Commuters")
    assert created.name == "Commuters" and created.files == () and created.passages == 0
    added = persona.add_to_study("commuters", [folder, ("survey.csv", b"Id,Said\n1,Too slow\n")])
    assert added.study == "Commuters" and len(added.added) == 4 and not added.failed
    study = persona.study("Commuters")
    names = [f.name for f in study.files]
    assert names == [*sorted(p.name for p in folder.iterdir()), "survey.csv"]
    assert study.passages == sum(f.quotable for f in study.files) > 0
    assert [(s.name, s.files, s.runs) for s in persona.studies()] == [("Commuters", 4, 0)]

    reading = persona.study_reading("Commuters")
    on_disk = persona.read(folder)  # the same readers as a plain read
    assert [p.text for p in reading.passages][: len(on_disk.passages)] == [
        p.text for p in on_disk.passages
    ]
    assert persona.study_reading("Commuters").passages == reading.passages

    hit = persona.search_study("Commuters", "slow")[0]
    assert (hit.file, hit.locator) == ("survey.csv", "row 2, Said")
    assert next(p for p in reading.passages if p.id == hit.passage_id).text == hit.text

    with pytest.raises(InputError, match="no column is marked"):
        persona.set_study_choices(
            "Commuters", choices={"survey.csv": TableChoice(roles={"Said": "ignore"})}
        )
    assert persona.search_study("Commuters", "slow"), "a refused choice changes nothing"
    chosen = persona.set_study_choices(
        "Commuters", choices={"survey.csv": TableChoice(roles={"Id": "answer", "Said": "context"})}
    )
    assert persona.study("Commuters").choices["survey.csv"]["roles"]["Said"] == "context"
    assert "Too slow" not in [p.text for p in chosen.passages if p.citable]
    assert persona.search_study("Commuters", "slow")[0].citable is False

    with pytest.raises(InputError, match="Give the study a name"):
        persona.rename_study("Commuters", "  ")
    renamed = persona.rename_study("Commuters", "Bike commuters")
    assert [f.name for f in renamed.files] == names
    assert persona.remove_from_study("Bike commuters", ["survey.csv"]) == ["survey.csv"]
    assert len(persona.study("bike commuters").files) == 3
    assert persona.delete_study("Bike commuters") == 0
    assert persona.studies() == []


def test_runs_land_in_the_study_and_resume_and_chat_need_no_upload() -> None:
    persona.add_to_study("Dock study", [("diary.md", diary(160)), ("notes.md", diary(90))])
    dead = {"on": False}

    def fail(prompt: str) -> Exception | None:
        if "Write 1 persona " in prompt or "Write 2 personas " in prompt:
            dead["on"] = True
        return OllamaUnreachable("http://127.0.0.1:9") if dead["on"] else None

    engine = ScriptedEngine(context_length=2048, fail=fail)
    planned = persona.plan(None, "m", count=2, engine=engine, study="Dock study", parallel=1)
    assert planned.chunks, "the study's files, planned in parts for a small context"
    job = persona.generate(
        None,
        "m",
        count=2,
        engine=engine,
        study="dock STUDY",
        seed=3,
        max_repairs=0,
        chunk_retries=0,
        parallel=1,
    )
    with pytest.raises(PersonaError, match="not reachable"):
        job.wait()
    run = persona.open_history().get(job.run.id)
    assert run.study == "Dock study" and run.status == "failed"
    assert [r.id for r in persona.study("Dock study").runs] == [run.id]
    assert persona.can_resume(run)

    healthy = ScriptedEngine(context_length=2048)
    done = persona.resume(run.id, engine=healthy).wait()  # the files come from the study
    assert done.status in ("complete", "partial") and len(done.records) == 2
    assert all(e.verified for p in done.personas for e in p.all_evidence())

    passages = persona.study_passages(done)  # what chat and edit read: the study's files
    assert passages is not None and {p.source for p in passages} == {"diary.md", "notes.md"}
    persona.remove_from_study("Dock study", ["notes.md"])
    assert persona.study_passages(persona.open_history().get(done.id)) is None
    with pytest.raises(InputError, match="not in its study"):
        persona.resume(run.id, engine=healthy)
