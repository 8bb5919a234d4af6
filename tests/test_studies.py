"""Studies as places on this machine: copies kept privately, read back, searched (FTS5)."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from persona.core.context import quote_context
from persona.core.errors import InputError
from persona.core.records import FileRef, Run, RunOptions
from persona.history.migrations import MIGRATIONS, SCHEMA_VERSION
from persona.history.store import Store
from persona.history.studies import Studies
from persona.history.study_search import fts_query, plain_query, study_match
from persona.ingest.roles import TableChoice
from persona.studydata import add_files, read_study, reindex, run_reading
from persona.transcribe import Segment, Transcript, keep_transcript
from persona.transcribe.kept import transcripts_dir

INTERVIEW = (
    b"Interviewer: How do you plan your week?\n"
    b"Ana: I plan the caf\xc3\xa9 shifts on Sunday evening.\n"
    b"Interviewer: What gets in the way?\n"
    b"Ana: The rota app crashes whenever I swap a shift.\n"
)
SURVEY = (
    b"ResponseId,Age,Feedback\nR1,34,Checkout is too slow on my phone\nR2,51,I love the receipts\n"
)


@pytest.fixture
def studies(tmp_path: Path) -> Studies:
    return Studies(Store(tmp_path / "history.sqlite3"))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_added_files_are_private_copies_read_back_in_order(
    studies: Studies, tmp_path: Path
) -> None:
    source = tmp_path / "ana.txt"
    source.write_bytes(INTERVIEW)
    added = add_files(studies, "  Cafe   staff ", [source, ("survey.csv", SURVEY)])
    assert added.study == "Cafe staff"
    assert added.added == ("ana.txt", "survey.csv") and not added.failed
    study = studies.get("cafe STAFF")
    assert [f.name for f in study.files] == ["ana.txt", "survey.csv"]
    assert study.files[0].path.read_bytes() == INTERVIEW
    assert mode(study.folder) == 0o700 and mode(study.folder.parent) == 0o700
    assert all(mode(f.path) == 0o600 for f in study.files)
    source.unlink()  # the study holds its own copy
    reading = read_study(studies, "Cafe staff")
    assert [d.name for d in reading.documents] == ["ana.txt", "survey.csv"]
    assert [p.id for p in reading.passages] == [
        f"P{i}" for i in range(1, len(reading.passages) + 1)
    ]
    quoted = [p.text for p in reading.passages if p.citable]
    assert any("The rota app crashes whenever I swap a shift." in text for text in quoted)
    assert not any("plan your week" in text for text in quoted), "interviewers are context"
    assert study.passages == len([p for p in reading.passages if p.citable])


def test_same_file_is_not_added_twice_and_a_changed_one_needs_a_choice(studies: Studies) -> None:
    add_files(studies, "S", [("notes.txt", b"First line\n")])
    again = add_files(studies, "S", [("notes.txt", b"First line\n")])
    assert again.unchanged == ("notes.txt",) and not again.added
    assert "same content" in again.reading.reports[0].warnings[-1]
    changed = add_files(studies, "S", [("notes.txt", b"Other words\n")])
    assert changed.conflicts == ("notes.txt",) and not changed.changed
    error = changed.reading.reports[0].error
    assert "different content" in error and "Rename" in error and "remove" in error
    assert read_study(studies, "S").passages[0].text == "First line", "nothing was lost"
    replaced = add_files(studies, "S", [("notes.txt", b"Other words\n")], replace_changed=True)
    assert replaced.replaced == ("notes.txt",)
    assert [p.text for p in read_study(studies, "S").passages] == ["Other words"]
    assert len(studies.get("S").files) == 1
    twice = add_files(studies, "T", [("a.txt", b"One\n"), ("a.txt", b"Two\n"), ("b.txt", b"One\n")])
    assert twice.added == ("a.txt", "b.txt") and twice.conflicts == ("a.txt",)
    assert "same content as a.txt" in twice.reading.reports[2].warnings[-1]


def test_unreadable_files_are_reported_and_not_kept(studies: Studies, tmp_path: Path) -> None:
    added = add_files(
        studies, "S", [("old.doc", b"x"), ("empty.txt", b"  "), tmp_path / "missing.txt"]
    )
    errors = [r.error for r in added.failed]
    assert len(errors) == 3
    assert "save it as .docx" in errors[0] and "empty" in errors[1] and "no such file" in errors[2]
    assert studies.get("S").files == ()
    assert list((studies.root / studies.get("S").folder.name).glob("*")) == []


def test_remove_and_delete_take_the_copies_away(studies: Studies) -> None:
    add_files(studies, "S", [("a.txt", b"Apples are great\n"), ("b.txt", b"Bananas too\n")])
    study = studies.get("S")
    with pytest.raises(
        InputError, match=r"c\.txt is not in the study 'S'. Its files: a.txt, b.txt"
    ):
        studies.remove_files("S", ["c.txt"])
    assert studies.remove_files("S", ["a.txt"]) == ["a.txt"]
    assert not study.files[0].path.exists() and study.files[1].path.exists()
    assert [h.file for h in studies.search("S", "bananas")] == ["b.txt"]
    assert studies.search("S", "apples") == [], "a removed file is not searched"
    assert [h.passage_id for h in studies.search("S", "bananas")] == ["P1"]
    studies.store.save(Run(model="m", study="S"))
    assert studies.delete("s") == 1
    assert not study.folder.exists()
    assert [s.name for s in studies.list()] == []
    with pytest.raises(InputError, match="No study named 'S'"):
        studies.get("S")


def test_names_are_unique_and_renaming_keeps_files_and_runs(studies: Studies) -> None:
    assert studies.create(" Onboarding  2026 ") == "Onboarding 2026"
    with pytest.raises(InputError, match="already exists"):
        studies.create("onboarding 2026")
    with pytest.raises(InputError, match="Give the study a name"):
        studies.create("   ")
    add_files(studies, "Onboarding 2026", [("a.txt", b"Signing up took ages\n")])
    run = Run(model="m", study="ONBOARDING 2026")
    studies.store.save(run)
    assert studies.store.get(run.id).study == "Onboarding 2026", "one study, one spelling"
    studies.store.rename_study("Onboarding 2026", "Signup")
    study = studies.get("Signup")
    assert [f.name for f in study.files] == ["a.txt"] and study.files[0].path.exists()
    assert [r.id for r in study.runs] == [run.id]
    assert [h.file for h in studies.search("Signup", "ages")] == ["a.txt"]
    add_files(studies, "Other", [("b.txt", b"Other words\n")])
    with pytest.raises(InputError, match="Both 'Signup' and 'Other' are studies with files"):
        studies.store.rename_study("Signup", "Other")


def test_version_6_history_gets_a_study_per_label(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with sqlite3.connect(path) as conn:
        for steps in MIGRATIONS[:6]:
            for step in steps:
                step(conn) if callable(step) else conn.execute(step)
        for run_id, study, created in (
            ("a", "Grocery", "2025-01-01T00:00:00+00:00"),
            ("b", "Grocery", "2025-01-02T00:00:00+00:00"),
            ("c", "grocery", "2025-01-03T00:00:00+00:00"),
            ("d", "Banking", "2025-02-01T00:00:00+00:00"),
            ("e", "", "2025-03-01T00:00:00+00:00"),
        ):
            conn.execute(
                "INSERT INTO runs (id, created_at, kind, model, status, message, options, files, "
                "file_names, usage, raw_answers, owner, study) VALUES "
                "(?, ?, 'local', 'm', 'complete', '', '{}', '[]', '', '{}', '[]', 'x', ?)",
                (run_id, created, study),
            )
        conn.execute("PRAGMA user_version = 6")
    store = Store(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,) == (7,)
    listed = {s.name: (s.files, s.runs) for s in Studies(store).list()}
    assert listed == {"Grocery": (0, 3), "Banking": (0, 1)}
    assert store.get("c").study == "Grocery"
    banking = Studies(store).get("banking")
    assert banking.files == () and banking.created_at.isoformat() == "2025-02-01T00:00:00+00:00"


def test_search_ignores_accents_and_never_fails_on_what_is_typed(studies: Studies) -> None:
    add_files(
        studies,
        "S",
        [
            ("ana.txt", INTERVIEW),
            ("b.txt", "Bruno: O café estava frio e a fila enorme.\n".encode()),
        ],
    )
    hits = studies.search("S", "cafe")
    assert {h.file for h in hits} == {"ana.txt", "b.txt"}
    first = next(h for h in hits if h.file == "ana.txt")
    assert first.passage_id == "P2" and first.participant == "Ana" and first.locator == "line 2"
    assert [p.text for p in first.snippet if p.matched] == ["café"]
    assert "".join(p.text for p in first.snippet) == first.text
    found = quote_context(read_study(studies, "S").passages, first.text, first.file, first.locator)
    assert found is not None and [line.passage.id for line in found.lines if line.focus] == ["P2"]
    assert [h.file for h in studies.search("S", "CAFÉ frio")] == ["b.txt"]
    assert [h.file for h in studies.search("S", '"rota app"')] == ["ana.txt"]
    assert [h.file for h in studies.search("S", "swa*")] == ["ana.txt"]
    for typed in ('"rota', "rota)", "NOT", "cafe OR", "AND AND", "*", '"', "col:umn", "-rota"):
        studies.search("S", typed)  # a plain search, never an error
    assert [h.file for h in studies.search("S", 'rota "app')] == ["ana.txt"]
    assert studies.search("S", "   ") == []
    interviewer = studies.search("S", "week")
    assert len(interviewer) == 1 and not interviewer[0].citable


@given(st.text(max_size=40))
def test_any_typed_query_is_valid_fts5(text: str) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE VIRTUAL TABLE t USING fts5 (text, study_id, "
        "tokenize = 'unicode61 remove_diacritics 2')"
    )
    conn.execute("INSERT INTO t VALUES ('some words here', 'a1b2')")
    for query in (fts_query(text), plain_query(text)):
        if query:
            conn.execute("SELECT * FROM t WHERE t MATCH ?", (study_match("a1b2", query),))
    typed = [w for w in re.findall(r"\w+", text) if w not in ("OR", "NOT", "AND")]
    assert set(typed) <= set(re.findall(r"\w+", fts_query(text))), "every word is searched"


def test_choices_change_how_a_table_is_read_and_searched(studies: Studies) -> None:
    add_files(studies, "S", [("survey.csv", SURVEY)])
    assert [h.file for h in studies.search("S", "receipts")] == ["survey.csv"]
    studies.set_choices(
        "S",
        {"survey.csv": TableChoice(roles={"Feedback": "ignore", "Age": "answer"}).to_dict()},
        {},
    )
    reading = reindex(studies, "S")
    assert [p.text for p in reading.passages if p.citable] == ["34", "51"]
    assert studies.search("S", "receipts") == []
    assert [h.passage_id for h in studies.search("S", "51")] == [
        next(p.id for p in reading.passages if p.text == "51")
    ]


def test_a_recording_is_kept_as_its_reviewed_transcript(studies: Studies) -> None:
    audio = b"RIFF-not-really-audio-but-its-bytes-are-its-fingerprint"
    sha = hashlib.sha256(audio).hexdigest()
    transcript = Transcript(
        "call.wav",
        sha,
        12.0,
        "en",
        0.9,
        (
            Segment(0.0, 3.0, "How was the trial?", interviewer=True),
            Segment(3.0, 9.5, "The trial felt short & rushed."),
        ),
    )
    keep_transcript(transcript)
    added = add_files(studies, "S", [("call.wav", audio)])
    assert added.added == ("call.wav",)
    kept = studies.get("S").files[0]
    assert kept.kind == "recording" and kept.sha256 == sha and kept.size_bytes == len(audio)
    assert kept.path.read_text().startswith("WEBVTT")
    (transcripts_dir() / f"{sha}.json").unlink()  # the study's own copy is enough
    reading = read_study(studies, "S")
    (document,) = reading.documents
    assert document.sha256 == sha
    assert [(p.locator, p.text, p.citable) for p in document.passages] == [
        ("00:00:00", "How was the trial?", False),
        ("00:00:03", "The trial felt short & rushed.", True),
    ]


def test_a_run_reads_its_files_from_its_study_as_it_read_them(studies: Studies) -> None:
    add_files(studies, "S", [("survey.csv", SURVEY), ("other.txt", b"Unrelated\n")])
    doc = read_study(studies, "S", files=["survey.csv"]).documents[0]
    run = Run(
        model="m",
        study="S",
        files=[FileRef(name="survey.csv", sha256=doc.sha256, size_bytes=1, kind="csv")],
        options=RunOptions(columns={"survey.csv": {"sheets": None, "roles": {"Age": "answer"}}}),
    )
    reading = run_reading(studies, run)
    assert reading is not None and [d.name for d in reading.documents] == ["survey.csv"]
    assert "34" in [p.text for p in reading.passages if p.citable], "the run's column roles"
    assert run_reading(studies, run.model_copy(update={"study": "Elsewhere"})) is None
    studies.remove_files("S", ["survey.csv"])
    assert run_reading(studies, run) is None


def test_a_study_is_read_once_per_content_and_choice(
    studies: Studies, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_files(studies, "S", [("a.txt", b"Apples\n"), ("survey.csv", SURVEY)])
    from persona.ingest.reading import read_file as real
    from persona.studydata import reading as module

    calls: list[str] = []

    def counting(name: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(module, "read_file", counting)
    module._read_cached.cache_clear()
    first = read_study(studies, "S")
    again = read_study(studies, "S")
    assert calls == ["a.txt", "survey.csv"] and again.passages == first.passages
    read_study(studies, "S", choices={"survey.csv": TableChoice(roles={"Age": "answer"})})
    assert calls == ["a.txt", "survey.csv", "survey.csv"], "another choice, read again"
    add_files(studies, "S", [("a.txt", b"Pears\n")], replace_changed=True)
    assert [p.text for p in read_study(studies, "S").passages][:1] == ["Pears"]
