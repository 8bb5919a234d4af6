"""The `persona` command against the fake Ollama server."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from persona.cli.commands import main
from persona.cli.exits import EXIT_CANCELLED, EXIT_FAIL, EXIT_OK
from persona.history.store import Store

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_check_reachable(fake_ollama, capsys):
    code, out, _ = run_cli(capsys, "check", "--host", fake_ollama.url)
    assert code == EXIT_OK
    assert f"is running at {fake_ollama.url}" in out
    assert "Models installed: 2" in out
    assert "Recommended model:" in out and "RAM:" in out


def test_check_json(fake_ollama, capsys):
    code, out, _ = run_cli(
        capsys, "check", "--provider", "ollama", "--host", fake_ollama.url, "--json"
    )
    data = json.loads(out)
    assert code == EXIT_OK
    assert data["ollama"]["reachable"] is True and data["ollama"]["models"] == 2
    assert data["hardware"]["ram_total"] > 0
    assert data["recommended_model"]


def test_check_unreachable_exits_1_with_steps(capsys):
    code, out, _ = run_cli(capsys, "check", "--host", "127.0.0.1:9")
    assert code == EXIT_FAIL
    assert "not reachable at http://127.0.0.1:9" in out
    assert "ollama.com/download" in out


def test_check_json_unreachable(capsys):
    code, out, _ = run_cli(capsys, "check", "--host", "127.0.0.1:9", "--json")
    assert code == EXIT_FAIL and json.loads(out)["ollama"]["reachable"] is False


def test_models_table_has_fit_verdicts(fake_ollama, capsys):
    code, out, _ = run_cli(capsys, "models", "--host", fake_ollama.url)
    assert code == EXIT_OK
    lines = out.strip().splitlines()
    assert lines[0].split() == ["NAME", "SIZE", "PARAMS", "QUANT", "CONTEXT", "NEEDS", "FIT"]
    assert {line.split()[0] for line in lines[1:]} == set(fake_ollama.model_names())
    assert all(line.split()[-1] in ("fits", "tight", "fit") for line in lines[1:])


def test_models_json(fake_ollama, capsys):
    code, out, _ = run_cli(capsys, "models", "--host", fake_ollama.url, "--json")
    rows = json.loads(out)
    assert code == EXIT_OK
    assert {r["name"] for r in rows} == set(fake_ollama.model_names())
    assert all(r["memory_needed_bytes"] > 0 and r["context_length"] for r in rows)


def test_models_recommend(capsys):
    code, out, err = run_cli(capsys, "models", "--recommend")
    assert code == EXIT_OK
    assert out.strip() in {"qwen2.5:72b", "llama3:70b", "mistral:7b", "llama3.2:3b"}
    assert "tier" in err


def test_models_when_ollama_down(capsys):
    code, _, err = run_cli(capsys, "models", "--host", "127.0.0.1:9")
    assert (
        code == EXIT_FAIL
        and "Ollama is not running, or not reachable" in err
        and "Traceback" not in err
    )


def test_pull_then_rm(fake_ollama, capsys):
    code, out, err = run_cli(capsys, "pull", "llama3.2:1b", "--host", fake_ollama.url)
    assert code == EXIT_OK and "llama3.2:1b is ready" in out
    assert "100%" in err
    assert "llama3.2:1b" in fake_ollama.model_names()
    code, out, _ = run_cli(capsys, "rm", "llama3.2:1b", "--host", fake_ollama.url)
    assert code == EXIT_OK and "Deleted llama3.2:1b" in out
    assert "llama3.2:1b" not in fake_ollama.model_names()


def test_pull_unknown_model(fake_ollama, capsys):
    code, _, err = run_cli(capsys, "pull", "no-such-model", "--host", fake_ollama.url)
    assert code == EXIT_FAIL and "ollama.com/library" in err


def test_rm_missing_model(fake_ollama, capsys):
    code, _, err = run_cli(capsys, "rm", "ghost:1b", "--host", fake_ollama.url)
    assert code == EXIT_FAIL and "not installed" in err


def test_pull_ctrl_c_cancels_cleanly(capsys, monkeypatch):
    import persona.cli.pull as cli
    from tests.fake_ollama import FakeOllama

    class Interrupting:
        def __init__(self, *args, **kwargs):
            self.closed = False

        def show(self, event):
            raise KeyboardInterrupt

        def end(self):
            pass

    monkeypatch.setattr(cli, "ProgressLine", Interrupting)
    with FakeOllama(pull_delay=0.05) as slow:
        code, _, err = run_cli(capsys, "pull", "llama3.2:1b", "--host", slow.url)
        time.sleep(0.5)  # the server notices the closed connection on its next write
        assert "llama3.2:1b" not in slow.model_names()
    assert code == EXIT_CANCELLED
    assert "Cancelled" in err and "again to resume" in err


def test_generate_from_samples_writes_export_and_history(fake_ollama, capsys, tmp_path, data_dir):
    out_dir = tmp_path / "out"
    code, out, err = run_cli(
        capsys,
        "generate",
        "--from",
        str(SAMPLES),
        "--provider",
        "ollama",
        "--model",
        "llama3.2:3b",
        "--count",
        "2",
        "--seed",
        "3",
        "--out",
        str(out_dir),
        "--format",
        "json",
        "--host",
        fake_ollama.url,
    )
    assert code == EXIT_OK, err
    exported = Path(out.strip().splitlines()[0])
    assert exported.parent == out_dir and exported.suffix == ".json"
    data = json.loads(exported.read_text(encoding="utf-8"))
    assert len(data["personas"]) == len(data["run"]["records"]) == 2
    assert "read  survey_excel_export.csv" in err and "fits in one prompt" in err
    for record in data["run"]["records"]:  # each persona printed as it came, checked
        assert f"Persona ready: {record['draft']['name']}, " in err
    assert err.count("Persona ready: ") == 2 and "quotes in your data" in err
    assert "(a cautious guess: this model has not run here yet" in err
    [summary] = Store(data_dir / "history.sqlite3").list()
    assert summary.persona_count == 2 and summary.status in ("complete", "partial")
    chat = fake_ollama.log("/api/chat")[-1]
    assert chat.body["options"]["seed"] == 3


@pytest.mark.parametrize("fmt", ["md", "csv"])
def test_generate_formats(fake_ollama, capsys, tmp_path, fmt):
    code, out, _ = run_cli(
        capsys,
        "generate",
        "--from",
        str(SAMPLES / "interviews"),
        "--count",
        "2",
        "--format",
        fmt,
        "--out",
        str(tmp_path),
        "--host",
        fake_ollama.url,
    )
    assert code == EXIT_OK and out.strip().splitlines()[0].endswith(f".{fmt}")


def test_generate_reports_bad_files_and_fails_when_none_read(fake_ollama, capsys, tmp_path):
    bad = tmp_path / "sheet.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really")
    code, _, err = run_cli(capsys, "generate", "--from", str(bad), "--host", fake_ollama.url)
    assert code == EXIT_FAIL
    assert "skip  sheet.xlsx" in err and "None of the files could be read" in err


def test_generate_without_models_says_pull(capsys, tmp_path):
    from tests.fake_ollama import FakeOllama

    with FakeOllama(models=()) as empty:
        code, _, err = run_cli(
            capsys, "generate", "--from", str(SAMPLES / "interviews"), "--host", empty.url
        )
    assert code == EXIT_FAIL and "persona pull" in err


def test_generate_ollama_down(capsys):
    code, _, err = run_cli(
        capsys, "generate", "--from", str(SAMPLES / "interviews"), "--host", "127.0.0.1:9"
    )
    assert code == EXIT_FAIL and "Ollama is not running, or not reachable" in err


def test_usage_error_exit_code():
    with pytest.raises(SystemExit) as info:
        main(["generate"])
    assert info.value.code == 2


# --- survey columns, studies and exports ------------------------------------------------------


def write_survey(tmp_path: Path) -> Path:
    from tests.survey_files import qualtrics_xlsx

    path = tmp_path / "grocery_survey.xlsx"
    path.write_bytes(qualtrics_xlsx())
    return path


def test_columns_show_lists_roles_without_generating(fake_ollama, capsys, tmp_path):
    survey = write_survey(tmp_path)
    code, out, err = run_cli(
        capsys, "generate", "--from", str(survey), "--columns", "show", "--host", fake_ollama.url
    )
    assert code == EXIT_OK, err
    lines = out.splitlines()
    assert lines[0] == "grocery_survey.xlsx, sheet 'Sheet0' (Qualtrics export, 5 responses)"
    rows = {line.split()[0]: line.split()[1] for line in lines[2:] if line.strip()}
    assert rows["ResponseId"] == "id" and rows["Q5"] == "answer" and rows["Q3"] == "context"
    assert rows["StartDate"] == "ignore"
    assert "The delivery slots are always gone" in out
    assert '--columns "COLUMN=ROLE,..."' in err
    assert "private = Identifier: never sent to a model" in err
    assert not fake_ollama.log("/api/chat"), "listing columns calls no model"


def test_generate_with_chosen_columns_quotes_only_answers(fake_ollama, capsys, tmp_path, data_dir):
    from tests.survey_files import QUALTRICS_RESPONSES

    survey = write_survey(tmp_path)
    code, out, err = run_cli(
        capsys,
        "generate",
        "--from",
        str(survey),
        "--columns",
        "Q6=ignore,Q2=context",
        "--study",
        "Grocery pilot",
        "--keep-text",
        "--count",
        "2",
        "--format",
        "md",
        "--out",
        str(tmp_path / "out"),
        "--host",
        fake_ollama.url,
    )
    assert code == EXIT_OK, err
    [summary] = Store(data_dir / "history.sqlite3").list()
    run = Store(data_dir / "history.sqlite3").get(summary.id)
    assert run.study == "Grocery pilot"
    assert run.options.columns == {
        "*": {"sheets": None, "roles": {"Q6": "ignore", "Q2": "context"}}
    }
    quotes = [ev.quote for p in run.personas for ev in p.all_evidence()]
    assert quotes
    answers = {r[5] for r in QUALTRICS_RESPONSES}
    assert all(q in answers for q in quotes), quotes
    prompt = fake_ollama.log("/api/chat")[0].body["messages"][-1]["content"]
    assert QUALTRICS_RESPONSES[0][6] not in prompt, "an ignored column is not sent"
    respondents = {r[0] for r in QUALTRICS_RESPONSES}
    assert all(p.participants for p in run.personas)
    assert all(set(p.participants) <= respondents for p in run.personas), (
        "who a persona is based on comes from the respondent IDs of the answers it cites"
    )
    exported = Path(out.strip().splitlines()[0]).read_text(encoding="utf-8")
    assert "*In context:*" in exported and "> Question: What frustrates you" in exported


def test_export_command_writes_every_format_without_overwriting(fake_ollama, capsys, tmp_path):
    code, _, err = run_cli(
        capsys,
        "generate",
        "--from",
        str(write_survey(tmp_path)),
        "--count",
        "1",
        "--out",
        str(tmp_path / "first"),
        "--host",
        fake_ollama.url,
    )
    assert code == EXIT_OK, err
    run_id = err.strip().rsplit("run ", 1)[1]
    out_dir = tmp_path / "exports"
    written = []
    for fmt in ("pdf", "docx", "json", "md", "csv"):
        code, out, err = run_cli(
            capsys, "export", run_id[:8], "--format", fmt, "--out", str(out_dir)
        )
        assert code == EXIT_OK, err
        written.append(Path(out.strip()))
    assert [p.suffix for p in written] == [".pdf", ".docx", ".json", ".md", ".csv"]
    assert written[0].read_bytes().startswith(b"%PDF")
    code, out, _ = run_cli(capsys, "export", "latest", "--format", "pdf", "--out", str(out_dir))
    again = Path(out.strip())
    assert code == EXIT_OK and again != written[0] and again.stem.endswith("-2")
    assert written[0].read_bytes()[:4] == b"%PDF", "the first file is untouched"
    code, _, err = run_cli(capsys, "export", "nope", "--format", "pdf")
    assert code == EXIT_FAIL and "No saved run with id 'nope'" in err


def test_bad_columns_spec_is_a_clear_error(fake_ollama, capsys, tmp_path):
    code, _, err = run_cli(
        capsys,
        "generate",
        "--from",
        str(write_survey(tmp_path)),
        "--columns",
        "Q5=quoted",
        "--host",
        fake_ollama.url,
    )
    assert code == EXIT_FAIL and "Unknown column role 'quoted'" in err


@pytest.mark.parametrize(
    ("host", "where"),
    [
        (None, "on this machine"),
        ("http://ann:s3cret@10.0.0.5:11434", "on 10.0.0.5:11434"),
    ],
)
def test_generate_and_chat_say_where_the_engine_runs(
    fake_ollama, capsys, tmp_path, data_dir, host, where
):
    address = host or fake_ollama.url
    interviews = str(SAMPLES / "interviews")
    with fake_ollama.answering_at("http://10.0.0.5:11434"):
        code, out, err = run_cli(
            capsys, "generate", "--from", interviews, "--count", "2", "--out", str(tmp_path),
            "--model", "llama3.2:3b", "--host", address,
        )  # fmt: skip
        assert code == EXIT_OK, err
        assert f"Drafts are made {where}." in err
        run_id = err.rsplit("run ", 1)[1].strip()
        code, out, err = run_cli(
            capsys, "chat", run_id, "1", "--from", interviews,
            "--ask", "What goes wrong with substitutions?", "--host", address,
        )  # fmt: skip
    assert code == EXIT_OK, err
    assert "Sources, word for word:" in out
    assert f"Answers are written by llama3.2:3b {where}, from the study only." in err
    assert "s3cret" not in out + err and "ann:" not in out + err
