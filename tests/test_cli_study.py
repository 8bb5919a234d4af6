"""`persona study ...`, and generate, chat, compare and resume working on a study's files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import persona
from persona.cli.commands import main
from persona.cli.exits import EXIT_FAIL, EXIT_OK
from persona.core.errors import OllamaUnreachable, PersonaError
from persona.history.store import Store
from tests.fakes import ScriptedEngine

ROOT = Path(__file__).resolve().parent.parent
INTERVIEWS = ROOT / "samples" / "interviews"


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_add_list_show_search_and_remove(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run_cli(capsys, "study", "add", "Grocery 2026", str(INTERVIEWS))
    assert code == EXIT_OK, err
    assert "Study 'Grocery 2026':" in err and "read  01_maria_gonzalez.md" in err
    assert "3 added" in err

    changed = tmp_path / "02_tom_becker.txt"
    changed.write_text("Tom: I changed my mind about everything.\n")
    code, _, err = run_cli(
        capsys, "study", "add", "grocery 2026", str(INTERVIEWS / "03_priya_nair.md"), str(changed)
    )
    assert code == EXIT_FAIL
    assert "already in the study 'Grocery 2026' with the same content" in err
    assert "02_tom_becker.txt is already in the study 'Grocery 2026' with different content" in err

    code, out, _ = run_cli(capsys, "study", "list")
    assert code == EXIT_OK and out.startswith("Grocery 2026\t3 files\t")

    code, out, _ = run_cli(capsys, "study", "show", "Grocery 2026")
    assert code == EXIT_OK
    assert "Files (3, " in out and "  02_tom_becker.txt\ttext\t" in out and "Runs (0):" in out

    code, out, err = run_cli(capsys, "study", "search", "Grocery 2026", 'substitut* "')
    assert code == EXIT_OK, err
    assert out.startswith("[P") and "[substitut" in out.lower()

    code, out, err = run_cli(
        capsys, "study", "search", "Grocery 2026", "substitutions", "--limit", "1", "--context"
    )
    assert code == EXIT_OK, err
    assert out.count("\n[P") + out.startswith("[P") == 1 and "    In context:" in out
    assert "    » " in out, "the passage itself is marked among the turns around it"

    code, out, err = run_cli(capsys, "study", "search", "Grocery 2026", "zebra")
    assert code == EXIT_OK and out == "" and "Nothing in the study matches 'zebra'" in err

    answers = iter(["n", "yes"])
    monkeypatch.setattr("builtins.input", lambda _: next(answers))
    code, _, err = run_cli(capsys, "study", "remove", "Grocery 2026", "02_tom_becker.txt")
    assert code == EXIT_OK and "Nothing was deleted" in err
    assert len(persona.study("Grocery 2026").files) == 3
    code, _, err = run_cli(capsys, "study", "remove", "Grocery 2026", "02_tom_becker.txt")
    assert code == EXIT_OK and "Removed 02_tom_becker.txt" in err
    assert len(persona.study("Grocery 2026").files) == 2

    code, _, err = run_cli(capsys, "study", "remove", "Grocery 2026", "nope.md", "--yes")
    assert code == EXIT_FAIL and "nope.md is not in the study 'Grocery 2026'" in err
    folder = persona.study("Grocery 2026").folder
    code, _, err = run_cli(capsys, "study", "remove", "Grocery 2026", "--yes")
    assert code == EXIT_OK and "Deleted the study 'Grocery 2026'" in err
    assert not folder.exists() and persona.studies() == []
    code, _, err = run_cli(capsys, "study", "show", "Grocery 2026")
    assert code == EXIT_FAIL and "No study named 'Grocery 2026'. There are none yet." in err


def test_generate_from_a_study_then_chat_and_compare_without_files(
    fake_ollama, capsys: pytest.CaptureFixture[str], tmp_path: Path, data_dir: Path
) -> None:
    assert main(["study", "add", "Shoppers", str(INTERVIEWS)]) == EXIT_OK
    capsys.readouterr()
    code, _, err = run_cli(
        capsys,
        "generate",
        "--study",
        "shoppers",
        "--count",
        "2",
        "--out",
        str(tmp_path),
        "--host",
        fake_ollama.url,
    )
    assert code == EXIT_OK, err
    assert "Reading the study 'Shoppers' (3 file(s))" in err
    run_id = err.rsplit("run ", 1)[1].strip()
    store = Store(data_dir / "history.sqlite3")
    run = store.get(run_id)
    assert run.study == "Shoppers" and {f.name for f in run.files} == {
        p.name for p in INTERVIEWS.iterdir()
    }
    assert [r.id for r in persona.study("Shoppers").runs] == [run_id]

    code, out, err = run_cli(
        capsys,
        "chat",
        run_id,
        "1",
        "--ask",
        "What goes wrong with substitutions?",
        "--host",
        fake_ollama.url,
    )
    assert code == EXIT_OK, err
    assert "Sources, word for word:" in out

    code, _, err = run_cli(
        capsys,
        "compare",
        "--models",
        "llama3.2:3b,mistral:7b",
        "--study",
        "Shoppers",
        "--count",
        "2",
        "--out",
        str(tmp_path),
        "--host",
        fake_ollama.url,
    )
    assert code == EXIT_OK, err
    assert len(persona.study("Shoppers").runs) == 3, "the comparison's runs land in the study"


def test_generate_from_files_keeps_them_in_the_named_study(
    fake_ollama, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "interviews"
    shutil.copytree(INTERVIEWS, folder)
    code, _, err = run_cli(
        capsys,
        "generate",
        "--from",
        str(folder),
        "--study",
        "Pilot",
        "--count",
        "2",
        "--out",
        str(tmp_path),
        "--host",
        fake_ollama.url,
    )
    assert code == EXIT_OK, err
    assert "Study 'Pilot': 3 added, 0 already there." in err
    shutil.rmtree(folder)  # chat and later runs need no upload
    assert [f.name for f in persona.study("Pilot").files] == sorted(
        p.name for p in INTERVIEWS.iterdir()
    )


def test_generate_needs_files_or_a_study(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["generate"])
    assert info.value.code == 2
    assert "--from FILES (files and folders), or --study NAME" in capsys.readouterr().err


def test_resume_reads_the_files_from_the_runs_study(
    fake_ollama, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lines = [
        f"D{i % 5}: on day {i} the bike dock near stop {i % 11} was "
        f"{'full' if i % 2 else 'empty'} and I was {'late' if i % 3 else 'on time'} for work."
        for i in range(1, 200)
    ]
    persona.add_to_study("Docks", [("diary.md", "\n".join(lines).encode())])
    dead = {"on": False}

    def fail(prompt: str) -> Exception | None:
        if "Write 1 persona " in prompt or "Write 2 personas " in prompt:
            dead["on"] = True
        return OllamaUnreachable("http://127.0.0.1:9") if dead["on"] else None

    job = persona.generate(
        None,
        "llama3.2:3b",
        count=2,
        study="Docks",
        engine=ScriptedEngine(context_length=2048, fail=fail),
        max_repairs=0,
        chunk_retries=0,
        parallel=1,
    )
    with pytest.raises(PersonaError):
        job.wait()
    code, _, err = run_cli(
        capsys, "resume", job.run.id[:8], "--out", str(tmp_path), "--host", fake_ollama.url
    )
    assert code == EXIT_OK, err
    assert "Reading the run's files from the study 'Docks':" in err
    done = persona.open_history().get(job.run.id)
    assert done.status in ("complete", "partial") and done.records


def test_add_with_column_roles_saves_them_with_the_study(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    survey = tmp_path / "survey.csv"
    survey.write_text("ResponseId,Age,Feedback\nR1,34,Checkout is too slow\nR2,51,I love it\n")
    code, _, err = run_cli(
        capsys, "study", "add", "Survey", str(survey), "--columns", "Feedback=context,Age=answer"
    )
    assert code == EXIT_OK, err
    assert persona.study("Survey").choices == {
        "survey.csv": {"sheets": None, "roles": {"Feedback": "context", "Age": "answer"}}
    }
    quoted = [p.text for p in persona.study_reading("Survey").passages if p.citable]
    assert quoted == ["34", "51"]
    assert not persona.search_study("Survey", "checkout")[0].citable
    code, _, err = run_cli(
        capsys, "study", "add", "Survey", str(survey), "--columns", "Feedback=answer,Age=context"
    )
    assert code == EXIT_OK and "1 already there" in err
    assert persona.search_study("Survey", "checkout")[0].citable, "read and indexed again"
    assert [p.text for p in persona.study_reading("Survey").passages if p.citable] == [
        "Checkout is too slow",
        "I love it",
    ]
