"""The run history: saved as it goes, safe across threads, processes and crashes."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import persona
import persona.history.store as store_module
from persona.core.errors import InputError, PersonaError, StoreError
from persona.core.records import FileRef, PersonaRecord, Run, RunUsage
from persona.core.schema import Claim, Evidence, Persona
from persona.history.migrations import MIGRATIONS, SCHEMA_VERSION
from persona.history.store import FILENAME, Store

REPO = Path(persona.__file__).resolve().parent.parent
RESEARCH = "Our clinic switched rota software in March and nobody told the night staff."


def make_persona(name: str = "Ana Costa", role: str = "Nurse", verified: bool = True) -> Persona:
    def claim(text: str) -> Claim:
        return Claim(text=text, evidence=[Evidence(quote=f"{text}!", verified=verified)])

    return Persona(
        name=name,
        age="30-40",
        role=role,
        bio="Works nights.",
        goals=[claim("Sleep")],
        pain_points=[claim("Rota changes")],
        behaviours=[claim("Checks the app")],
        quote=Evidence(quote="I just want to know my shifts.", verified=True),
    )


def make_run(
    model: str = "llama3.2:3b",
    files: tuple[str, ...] = ("interviews.md",),
    personas: tuple[Persona, ...] = (),
    **fields: Any,
) -> Run:
    return Run(
        model=model,
        files=[FileRef(name=n, sha256="ab" * 32, size_bytes=10, kind="md") for n in files],
        records=[PersonaRecord(draft=p) for p in personas],
        **fields,
    )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / FILENAME


@pytest.fixture
def store(path: Path) -> Store:
    return Store(path)


def stored_bytes(path: Path) -> bytes:
    """The database file plus its WAL and shared-memory files."""
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(f"{path.name}*")))


@pytest.mark.parametrize("kind", ["local", "hybrid"])
def test_save_and_get_round_trip(store: Store, kind: str) -> None:
    draft, refined = make_persona("Zoë Müller"), make_persona("Zoë Müller", role="Head nurse")
    record = PersonaRecord(
        draft=draft,
        refined=refined if kind == "hybrid" else None,
        choices={"role": "refined"} if kind == "hybrid" else {},
        score=0.75,
        score_reasons=["well supported"],
    )
    run = make_run(
        kind=kind,
        frontier_model="claude-x" if kind == "hybrid" else None,
        options={"count": 3, "temperature": 0.2, "seed": 7},
        files=("interviews.md", "survey.csv"),
        status="partial",
        message="1 of 3 personas",
        raw_answers=["{not json"],
        usage={"input_tokens": 120, "cost": 0.01},
    )
    run.records.append(record)
    store.save(run)
    assert store.get(run.id) == run
    assert store.get(run.id).records[0].current.role == (
        "Head nurse" if kind == "hybrid" else "Nurse"
    )


def test_save_replaces_an_existing_run(store: Store) -> None:
    run = make_run(personas=(make_persona("A"), make_persona("B")))
    store.save(run)
    shorter = run.model_copy(update={"records": run.records[:1], "status": "complete"})
    store.save(shorter)
    assert store.get(run.id) == shorter


def test_start_saves_the_run_as_running(store: Store) -> None:
    run = make_run(status="complete")
    store.start(run)
    assert store.get(run.id).status == "running"
    assert [s.status for s in store.list()] == ["running"]


def test_add_record_is_committed_at_once(path: Path, store: Store) -> None:
    run = make_run()
    store.start(run)
    indexes = [store.add_record(run.id, PersonaRecord(draft=make_persona(n))) for n in "ABC"]
    assert indexes == [0, 1, 2]
    other = Store(path)
    assert [p.name for p in other.get(run.id).personas] == ["A", "B", "C"]
    assert other.list()[0].persona_count == 3


def test_update_record_replaces_one_persona(store: Store) -> None:
    run = make_run(personas=(make_persona("A"), make_persona("B")))
    store.start(run)
    refined = PersonaRecord(draft=make_persona("B"), refined=make_persona("B2"))
    store.update_record(run.id, 1, refined)
    saved = store.get(run.id)
    assert [p.name for p in saved.personas] == ["A", "B2"]
    assert saved.records[1] == refined


@pytest.mark.parametrize(
    "operation",
    [
        lambda s: s.get("missing"),
        lambda s: s.add_record("missing", PersonaRecord(draft=make_persona())),
        lambda s: s.update_record("missing", 0, PersonaRecord(draft=make_persona())),
        lambda s: s.finish("missing", "complete"),
    ],
    ids=["get", "add_record", "update_record", "finish"],
)
def test_unknown_run_is_an_input_error(store: Store, operation) -> None:
    with pytest.raises(InputError, match="No saved run"):
        operation(store)


def test_update_record_out_of_range_changes_nothing(store: Store) -> None:
    run = make_run(personas=(make_persona("A"),))
    store.start(run)
    with pytest.raises(InputError, match="no persona number 3"):
        store.update_record(run.id, 2, PersonaRecord(draft=make_persona("X")))
    assert [p.name for p in store.get(run.id).personas] == ["A"]


@pytest.mark.parametrize(
    ("usage", "raw_answers", "want_usage", "want_raw"),
    [
        (None, None, {"tokens": 1}, ["first"]),
        ({"tokens": 9, "cost": 0.5}, None, {"tokens": 9, "cost": 0.5}, ["first"]),
        (None, ["bad one", "bad two"], {"tokens": 1}, ["bad one", "bad two"]),
    ],
)
def test_finish(store: Store, usage, raw_answers, want_usage, want_raw) -> None:
    run = make_run(usage={"tokens": 1}, raw_answers=["first"])
    store.start(run)
    store.finish(run.id, "failed", "Model gave no valid JSON.", usage, raw_answers)
    saved = store.get(run.id)
    assert (saved.status, saved.message) == ("failed", "Model gave no valid JSON.")
    assert (saved.usage, saved.raw_answers) == (RunUsage.model_validate(want_usage), want_raw)


def test_finish_rejects_an_unknown_status(store: Store) -> None:
    run = make_run()
    store.start(run)
    with pytest.raises(InputError, match="Unknown run status"):
        store.finish(run.id, "done")  # type: ignore[arg-type]
    assert store.get(run.id).status == "running"


def test_failed_save_leaves_the_previous_run_whole(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = make_run(personas=(make_persona("A"), make_persona("B")))
    store.save(run)
    real, calls = store_module._insert_record, []

    def crash_on_second(*args: object) -> None:
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("power cut")
        real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(store_module, "_insert_record", crash_on_second)
    changed = run.model_copy(
        update={"records": [PersonaRecord(draft=make_persona(n)) for n in "XY"]}
    )
    with pytest.raises(RuntimeError):
        store.save(changed)
    assert store.get(run.id) == run


def test_a_crashed_run_is_listed_as_interrupted_with_its_personas(path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from persona.core.records import PersonaRecord, Run
        from persona.core.schema import Evidence, Persona, Claim
        from persona.history.store import Store

        claim = Claim(text="Sleep", evidence=[Evidence(quote="sleep", verified=True)])
        draft = Persona(name="Crash Survivor", age="40", role="Nurse", bio="b", goals=[claim],
                        pain_points=[claim], behaviours=[claim], quote=Evidence(quote="q"))
        store = Store(Path({str(path)!r}))
        run = Run(id="crashed", model="llama3.2:3b")
        store.start(run)
        store.add_record(run.id, PersonaRecord(draft=draft))
        os._exit(1)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True)
    assert done.returncode == 1, done.stderr.decode()
    store = Store(path)
    [summary] = store.list()
    assert (summary.id, summary.status, summary.persona_count) == ("crashed", "interrupted", 1)
    run = store.get("crashed")
    assert run.status == "interrupted"
    assert "stopped before this run finished" in run.message
    assert [p.name for p in run.personas] == ["Crash Survivor"]


def test_a_run_still_being_written_stays_running(path: Path, store: Store) -> None:
    run = make_run()
    store.start(run)
    assert Store(path).mark_interrupted() == 0
    assert Store(path).get(run.id).status == "running"


@pytest.mark.parametrize(
    "owner",
    ["", "garbage", "{host}|999999999|1.0", "{host}|{pid}|12.5"],
    ids=["empty", "garbage", "no-such-process", "reused-pid"],
)
def test_a_run_whose_writer_is_gone_is_interrupted(path: Path, store: Store, owner: str) -> None:
    run = make_run()
    store.start(run)
    with sqlite3.connect(path) as conn:
        host = socket.gethostname()
        conn.execute("UPDATE runs SET owner = ?", (owner.format(host=host, pid=1),))
    assert store.mark_interrupted() == 1
    assert store.get(run.id).status == "interrupted"


def test_a_run_written_from_another_machine_is_left_running(path: Path, store: Store) -> None:
    run = make_run()
    store.start(run)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE runs SET owner = 'elsewhere.example|1|1.0'")
    assert store.mark_interrupted() == 0
    assert store.get(run.id).status == "running"


@pytest.fixture
def three_runs(store: Store) -> dict[str, Run]:
    start = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
    runs = {
        "old": make_run(
            "llama3.2:3b",
            ("interviews.md", "survey.csv", "notes.txt"),
            (make_persona("Ana Costa", "Night nurse"), make_persona("Bo Lee", "Porter", False)),
            created_at=start,
        ),
        "new": make_run(
            "qwen2.5:7b",
            ("50%_growth.csv",),
            (make_persona("Zoë Müller", "Ward manager"),),
            created_at=start + timedelta(days=2),
            kind="hybrid",
            frontier_model="claude-sonnet",
        ),
        "mid": make_run("gemma3:4b", (), (), created_at=start + timedelta(days=1)),
    }
    for run in runs.values():
        store.save(run)
    return runs


def test_list_is_newest_first_and_limited(store: Store, three_runs: dict[str, Run]) -> None:
    ids = {run.id: key for key, run in three_runs.items()}
    assert [ids[s.id] for s in store.list()] == ["new", "mid", "old"]
    assert [ids[s.id] for s in store.list(limit=2)] == ["new", "mid"]
    assert [ids[s.id] for s in store.list(limit=None)] == ["new", "mid", "old"]


def test_summary_fields(store: Store, three_runs: dict[str, Run]) -> None:
    old = next(s for s in store.list() if s.id == three_runs["old"].id)
    assert old.created_at == datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
    assert (old.kind, old.model, old.status) == ("local", "llama3.2:3b", "running")
    assert old.file_names == ("interviews.md", "survey.csv", "notes.txt")
    assert old.persona_count == 2
    assert old.summary.text == "2 usable personas of 2 · 5 of 8 quotes in your data"
    assert old.summary == three_runs["old"].summary
    local = old.created_at.astimezone()
    assert old.title == f"Untitled study · Ana Costa, Bo Lee · {local:%Y-%m-%d %H:%M}"
    assert old.title == three_runs["old"].title


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("", ["new", "mid", "old"]),
        ("costa", ["old"]),
        ("NIGHT NURSE", ["old"]),
        ("zoe", ["new"]),
        ("müller", ["new"]),
        ("survey.csv", ["old"]),
        ("50%", ["new"]),
        ("50_", []),
        ("%_grow", ["new"]),
        ("5%", []),
        ("gemma", ["mid"]),
        ("sonnet", ["new"]),
        ("costa porter", ["old"]),
        ("costa zoe", []),
        ("nobody", []),
    ],
)
def test_list_search(
    store: Store, three_runs: dict[str, Run], search: str, expected: list[str]
) -> None:
    ids = {run.id: key for key, run in three_runs.items()}
    assert [ids[s.id] for s in store.list(search=search)] == expected


def test_delete(path: Path, store: Store, three_runs: dict[str, Run]) -> None:
    gone = three_runs["old"].id
    assert store.delete(gone) is True
    assert store.delete(gone) is False
    assert gone not in [s.id for s in store.list()]
    with pytest.raises(InputError):
        store.get(gone)
    with sqlite3.connect(path) as conn:
        assert conn.execute(
            "SELECT COUNT(*) FROM records WHERE run_id = ?", (gone,)
        ).fetchone() == (0,)
        assert conn.execute("SELECT COUNT(*) FROM records").fetchone() == (1,)


@pytest.mark.parametrize("opt_in", [False, True])
def test_research_text_is_stored_only_on_opt_in(path: Path, store: Store, opt_in: bool) -> None:
    run = make_run(personas=(make_persona(),), research_text=RESEARCH if opt_in else None)
    store.save(run)
    store.finish(run.id, "complete")
    assert (RESEARCH.encode() in stored_bytes(path)) is opt_in
    assert store.get(run.id).research_text == (RESEARCH if opt_in else None)
    assert b"I just want to know my shifts." in stored_bytes(path)


@pytest.mark.parametrize("other_window_open", [False, True])
def test_deleted_research_text_leaves_no_trace(
    path: Path, store: Store, other_window_open: bool
) -> None:
    other = sqlite3.connect(path)  # an open connection keeps the WAL file from being removed
    other.execute("SELECT COUNT(*) FROM runs").fetchone()
    if not other_window_open:
        other.close()
    run = make_run(research_text=RESEARCH)
    store.save(run)
    assert RESEARCH.encode() in stored_bytes(path)
    store.delete(run.id)
    assert RESEARCH.encode() not in stored_bytes(path)
    other.close()


def test_default_path_is_in_the_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERSONA_DATA_DIR", str(tmp_path / "new" / "folder"))
    assert Store().path == tmp_path / "new" / "folder" / FILENAME
    assert (tmp_path / "new" / "folder" / FILENAME).is_file()


def test_schema_is_versioned_and_in_wal_mode(path: Path, store: Store) -> None:
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    Store(path)  # reopening migrates nothing and keeps the data
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


def _under_a_file(tmp_path: Path) -> Path:
    (tmp_path / "a-file").write_text("x")
    return tmp_path / "a-file" / "sub" / FILENAME


def _a_directory(tmp_path: Path) -> Path:
    (tmp_path / FILENAME).mkdir()
    return tmp_path / FILENAME


def _garbage(tmp_path: Path) -> Path:
    (tmp_path / FILENAME).write_bytes(b"this is not sqlite at all" * 100)
    return tmp_path / FILENAME


@pytest.mark.parametrize(
    ("make_path", "advice"),
    [
        (_under_a_file, "PERSONA_DATA_DIR to a folder you can write to"),
        (_a_directory, "PERSONA_DATA_DIR to a folder you can write to"),
        (_garbage, "damaged"),
    ],
)
def test_unusable_location_is_a_clear_persona_error(tmp_path: Path, make_path, advice) -> None:
    bad = make_path(tmp_path)
    with pytest.raises(PersonaError, match=advice) as caught:
        Store(bad)
    assert type(caught.value) is StoreError
    assert str(bad) in str(caught.value)


def test_history_from_a_newer_version_is_refused(path: Path) -> None:
    Store(path)
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(PersonaError, match="newer version of Persona"):
        Store(path)


def test_concurrent_writers(path: Path, store: Store) -> None:
    shared = make_run(model="shared")
    store.start(shared)
    errors: list[BaseException] = []

    def work(writer: Store, name: str) -> None:
        try:
            own = make_run(model=name)
            writer.start(own)
            for n in range(15):
                writer.add_record(own.id, PersonaRecord(draft=make_persona(f"{name} {n}")))
                writer.add_record(shared.id, PersonaRecord(draft=make_persona(f"{name} {n}")))
                writer.list(search=name)
            writer.finish(own.id, "complete")
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=(writer, name))
        for writer, name in [(store, "one"), (store, "two"), (Store(path), "three")]
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    summaries = {s.model: s for s in store.list()}
    assert {m: (s.persona_count, s.status) for m, s in summaries.items()} == {
        "shared": (45, "running"),
        "one": (15, "complete"),
        "two": (15, "complete"),
        "three": (15, "complete"),
    }
    with sqlite3.connect(path) as conn:
        indexes = conn.execute("SELECT idx FROM records WHERE run_id = ?", (shared.id,))
        assert sorted(i for (i,) in indexes) == list(range(45))


# --- studies, filters, bulk actions, migration --------------------------------------------------


def test_studies_group_filter_rename_and_move(store: Store) -> None:
    a = make_run(personas=(make_persona("Ana Costa"),), study="Grocery", status="complete")
    b = make_run(personas=(make_persona("Bo Lee"),), study="Grocery", status="failed")
    c = make_run(personas=(make_persona("Cy Park"),), study="Banking", status="complete")
    for run in (a, b, c):
        store.save(run)
    assert {s.name: s.runs for s in store.studies()} == {"Grocery": 2, "Banking": 1}
    assert {s.id for s in store.list(study="Grocery")} == {a.id, b.id}
    assert {s.id for s in store.list(statuses=["complete"])} == {a.id, c.id}
    assert store.list(statuses=[]) == []
    assert store.rename_study("Grocery", "  Grocery   2026 ") == 2
    assert {s.id for s in store.list(study="Grocery 2026")} == {a.id, b.id}
    assert store.set_study([c.id, "no-such-run"], "Grocery 2026") == 1
    assert [s.name for s in store.studies()] == ["Grocery 2026"]
    assert store.get(c.id).study == "Grocery 2026"
    summary = next(s for s in store.list() if s.id == c.id)
    assert summary.title.startswith("Grocery 2026 · Cy Park · ")


def test_search_finds_claims_and_quotes(store: Store) -> None:
    run = make_run(personas=(make_persona(),))
    store.save(run)
    persona = run.records[0].current
    claim = persona.pain_points[0]
    quote = persona.quote.quote
    for text in (claim.text.split()[1], quote.split()[-1].strip(".!?"), "costa", "works"):
        assert [s.id for s in store.list(search=text)] == [run.id], text
    assert store.list(search="nowhere-to-be-found") == []


def test_delete_many(store: Store) -> None:
    runs = [make_run() for _ in range(3)]
    for run in runs:
        store.save(run)
    assert store.delete_many([runs[0].id, runs[2].id, runs[0].id, "missing"]) == 2
    assert [s.id for s in store.list()] == [runs[1].id]


def test_version_1_history_is_migrated_and_kept(path: Path) -> None:
    """A history written before studies existed opens with its runs, now searchable by quote."""
    persona = make_persona()
    record = PersonaRecord(draft=persona)
    with sqlite3.connect(path) as conn:
        for statement in MIGRATIONS[0]:
            assert isinstance(statement, str)
            conn.execute(statement)
        conn.execute(
            "INSERT INTO runs VALUES ('old', '2025-01-02T03:04:05+00:00', 'local', 'm', NULL, "
            "'complete', '', '{}', '[]', 'a.md', '{}', '[]', NULL, 'nobody')"
        )
        conn.execute(
            "INSERT INTO records VALUES ('old', 0, ?, ?, ?, 1, 1, 1)",
            (record.model_dump_json(), persona.name, persona.role),
        )
        conn.execute("PRAGMA user_version = 1")
    store = Store(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    run = store.get("old")
    assert run.study == "" and run.records[0].current == persona
    quote_word = persona.quote.quote.split()[-1].strip(".!?")
    assert [s.id for s in store.list(search=quote_word)] == ["old"]
    assert [(s.name, s.runs) for s in store.studies()] == [("", 1)]


def test_chunk_findings_are_kept_in_order_and_deleted_with_the_run(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.sqlite3")
    run = Run(model="m")
    store.start(run)
    assert store.save_chunk(run.id, ["P1", "P2"], [{"kind": "goal", "statement": "a"}]) == 0
    assert store.save_chunk(run.id, ["P3"], []) == 1
    assert store.chunks(run.id) == [
        (0, ["P1", "P2"], [{"kind": "goal", "statement": "a"}]),
        (1, ["P3"], []),
    ]
    store.delete(run.id)
    assert store.chunks(run.id) == []


def test_version_5_history_counts_usable_personas_and_every_quote_again(path: Path) -> None:
    """Before version 6 an unusable persona's quotes were saved as 0 found; now its word-for-
    word quotes count, and the persona counts as unusable."""
    unusable = make_persona().model_copy(update={"unusable": ["3 of 3 claims cite one passage"]})
    with sqlite3.connect(path) as conn:
        for steps in MIGRATIONS[:5]:
            for step in steps:
                if isinstance(step, str):
                    conn.execute(step)
        conn.execute(
            "INSERT INTO runs (id, created_at, kind, model, frontier_model, status, message, "
            "options, files, file_names, usage, raw_answers, research_text, owner) VALUES "
            "('old', '2025-01-02T03:04:05+00:00', 'local', 'm', NULL, 'complete', '', '{}', "
            "'[]', 'a.md', '{}', '[]', NULL, 'nobody')"
        )
        conn.execute(
            "INSERT INTO records (run_id, idx, data, name, role, found, checked, total) "
            "VALUES ('old', 0, ?, ?, ?, 0, 4, 4)",
            (PersonaRecord(draft=unusable).model_dump_json(), unusable.name, unusable.role),
        )
        conn.execute("PRAGMA user_version = 5")
    [listing] = Store(path).list()
    assert listing.summary.text == "0 usable personas of 1 · 4 of 4 quotes in your data"


def test_list_counts_the_usable_personas_of_the_version_shown(store: Store) -> None:
    broken = make_persona("P05-parent.md").model_copy(update={"unusable": ["a file name"]})
    mended = make_persona("Ana Costa")
    store.save(make_run(personas=(make_persona(), broken)))
    refined = make_run(model="refined")
    refined.records = [PersonaRecord(draft=broken, refined=mended)]  # the refined one is shown
    store.save(refined)
    store.save(make_run(model="empty"))
    counts = {s.model: (s.summary.usable, s.persona_count, s.personas_text) for s in store.list()}
    assert counts == {
        "llama3.2:3b": (1, 2, "1 usable persona of 2"),
        "refined": (1, 1, "1 usable persona of 1"),
        "empty": (0, 0, "none"),
    }
