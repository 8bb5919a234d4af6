"""Editing a persona by hand: wording, citations picked by passage ID, the same checks, a new
version in History that exports, chat and the CLI use."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path

import pytest

from persona import api
from persona.chat.persona_chat import PersonaChat
from persona.cli.commands import main
from persona.core.coverage import speakers
from persona.core.errors import InputError
from persona.core.records import FileRef, PersonaRecord, Run
from persona.generation.checks import check_personas
from persona.generation.edit import ClaimEdit, PersonaEdit, unchanged_claims
from persona.generation.references import DraftPersona, resolve
from persona.generation.research import keep_copy
from persona.history.store import Store
from persona.ingest import Reading
from tests.fakes import ANA, BEN, QueuedEngine

MARIA = (
    "# Interview with Maria\n\n"
    "Maria: I plan every meal on Sunday so the week stays calm.\n\n"
    "Maria: The app forgets my substitutions and I lose an hour.\n\n"
    "Maria: I want to spend less than 80 euros a week on food.\n"
)
TOM = (
    "Tom: I order late at night after my shift ends.\n\n"
    "Tom: Delivery slots are always full when I finally get home.\n\n"
    "Tom: I just want the same basket as last week with one tap.\n"
)
HEADING, MEALS, FORGETS, BUDGET, LATE = "P1", "P2", "P3", "P4", "P5"


def read_study(folder: Path) -> Reading:
    """Two interviews written into ``folder``, read as the dashboard reads them."""
    folder.mkdir()
    (folder / "maria.md").write_text(MARIA, encoding="utf-8")
    (folder / "tom.md").write_text(TOM, encoding="utf-8")
    return api.read(folder / "maria.md", folder / "tom.md")


@pytest.fixture
def reading(tmp_path: Path) -> Reading:
    return read_study(tmp_path / "study")


def saved_run(reading: Reading, store: Store, *, keep_text: bool = False) -> Run:
    """A run as generation saves it: drafts by reference, resolved and checked."""
    by_id = {p.id: p for p in reading.passages}
    ana = dict(ANA, goals=[{"text": "Plans every meal ahead", "passages": [MEALS]}])
    ana["pain_points"] = [{"text": "Loses an hour when the app forgets", "passages": [FORGETS]}]
    ana["behaviours"] = [{"text": "Spends under 80 euros a week on food", "passages": [BUDGET]}]
    ana["quote"] = {"passage": MEALS, "span": ""}
    ben = dict(BEN, goals=[{"text": "Orders late at night after a shift", "passages": [LATE]}])
    ben["pain_points"] = [{"text": "Finds delivery slots full when home", "passages": ["P6"]}]
    ben["behaviours"] = [{"text": "Reorders the same basket with one tap", "passages": ["P7"]}]
    ben["quote"] = {"passage": LATE, "span": ""}
    drafts = [resolve(DraftPersona.model_validate(d), by_id)[0] for d in (ana, ben)]
    checked = check_personas(drafts, reading.passages)
    assert all(not p.unusable for p in checked)
    run = Run(
        model="fake-model",
        study="Groceries",
        status="complete",
        files=[
            FileRef(name=d.name, sha256=d.sha256, size_bytes=d.size_bytes, kind=d.kind)
            for d in reading.documents
        ],
        records=[PersonaRecord(draft=p) for p in checked],
        speakers=speakers(reading.passages),
        research_text=keep_copy(reading.passages) if keep_text else None,
    )
    store.save(run)
    return run


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "history.db")


def test_editing_wording_saves_a_new_version_and_keeps_the_old(reading, store) -> None:
    run = saved_run(reading, store)
    claims = unchanged_claims(run.personas[0])
    claims["goals"][0] = ClaimEdit("Plans every meal on Sunday for a calm week")
    change = PersonaEdit(
        name="Ana  Ortega", role="Night nurse", age="35", bio="Ana works nights.", claims=claims
    )

    edited = api.edit(run, 0, change, reading=reading, store=store)

    again = store.get(run.id)
    persona = again.personas[0]
    assert (persona.name, persona.role, persona.age, persona.bio) == (
        "Ana Ortega",
        "Night nurse",
        "35",
        "Ana works nights.",
    )
    assert persona.goals[0].text == "Plans every meal on Sunday for a calm week"
    assert persona.goals[0].evidence[0].quote == reading.passages[1].text
    assert persona.goals[0].evidence[0].verified is True
    record = again.records[0]
    assert record.draft.name == "Ana Ruiz" and len(record.edits) == 1
    assert record.before_edit == record.draft
    assert edited.checked_against_data and not persona.unusable
    changed = {c.label: (c.status, c.before, c.after) for c in edited.changes}
    assert changed["Name"] == ("changed", "Ana Ruiz", "Ana Ortega")
    assert changed["Goal 1"][0] == "changed"
    assert changed["Pain point 1"][0] == "unchanged"
    assert again.personas[1] == run.personas[1]  # the other persona is untouched

    second = api.edit(again, 0, PersonaEdit(role="Head nurse"), reading=reading, store=store)
    record = store.get(run.id).records[0]
    assert [e.role for e in record.edits] == ["Night nurse", "Head nurse"]
    assert record.before_edit.role == "Night nurse"
    assert [c.label for c in second.changes if c.status != "unchanged"] == ["Role"]


def test_a_citation_added_by_passage_id_is_quoted_word_for_word(reading, store) -> None:
    run = saved_run(reading, store)
    claims = unchanged_claims(run.personas[0])
    claims["goals"][0] = ClaimEdit(claims["goals"][0].text, [MEALS, " [p4] "])

    persona = api.edit(run, 0, PersonaEdit(claims=claims), reading=reading, store=store).persona

    budget = next(p for p in reading.passages if p.id == BUDGET)
    added = persona.goals[0].evidence[1]
    assert (added.quote, added.source, added.locator, added.passage) == (
        budget.text,
        "maria.md",
        "line 7",
        BUDGET,
    )
    assert added.verified is True
    assert [e.passage for e in persona.goals[0].evidence] == [MEALS, BUDGET]


def test_a_citation_is_removed(reading, store) -> None:
    run = saved_run(reading, store)
    claims = unchanged_claims(run.personas[0])
    claims["goals"][0] = ClaimEdit(claims["goals"][0].text, [MEALS, BUDGET])
    api.edit(run, 0, PersonaEdit(claims=claims), reading=reading, store=store)
    claims["goals"][0] = ClaimEdit(claims["goals"][0].text, [BUDGET])

    edited = api.edit(store.get(run.id), 0, PersonaEdit(claims=claims), store=store)

    assert [e.passage for e in edited.persona.goals[0].evidence] == [BUDGET]
    assert store.get(run.id).records[0].edits[0].goals[0].evidence[0].passage == MEALS


@pytest.mark.parametrize(
    ("cites", "message"),
    [
        (["P99"], "P99 is not a passage of this study"),
        ([HEADING], "P1 is not something a participant said"),
        (["I plan every meal on Sunday"], "is not a passage of this study"),
        (["P2", "P3", "P4", "P5"], "keep at most 3"),
    ],
)
def test_citations_that_are_not_the_studys_passages_are_refused(
    reading, store, cites, message
) -> None:
    run = saved_run(reading, store)
    claims = unchanged_claims(run.personas[0])
    claims["goals"][0] = ClaimEdit("Plans meals", cites)
    with pytest.raises(InputError, match=message):
        api.edit(run, 0, PersonaEdit(claims=claims), reading=reading, store=store)
    assert store.get(run.id).records[0].edits == []


def test_a_quote_cannot_be_typed() -> None:
    assert {f.name for f in dataclasses.fields(ClaimEdit)} == {"text", "cites"}
    assert "quote" not in {f.name for f in dataclasses.fields(PersonaEdit)}
    with pytest.raises(TypeError):
        ClaimEdit("Plans meals", quote="I love apps")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (PersonaEdit(name="   "), "name is empty"),
        (PersonaEdit(claims={"goals": [ClaimEdit("  ")]}), "Goal 1 is empty"),
        (PersonaEdit(claims={"behaviours": []}), "at least one behaviour"),
        (PersonaEdit(claims={"hobbies": [ClaimEdit("Golf")]}), "Unknown section"),
        (PersonaEdit(), "Nothing was changed"),
    ],
)
def test_bad_edits_get_a_clear_message(reading, store, change, message) -> None:
    run = saved_run(reading, store)
    with pytest.raises(InputError, match=message):
        api.edit(run, 0, change, reading=reading, store=store)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (PersonaEdit(name="Ben Okoro"), "same name as Ben Okoro"),
        (PersonaEdit(role="N/A", bio="TBD"), "placeholder"),
    ],
)
def test_an_edit_that_makes_the_persona_degenerate_marks_it_unusable(
    reading, store, change, reason
) -> None:
    run = saved_run(reading, store)
    for at_hand in (reading, None):  # with and without the study's passages
        edited = api.edit(run, 0, change, reading=at_hand, store=store)
        assert edited.persona.unusable
        assert reason in " ".join(edited.persona.unusable)
        assert store.get(run.id).summary.usable == 1


def test_without_the_files_wording_is_edited_and_quotes_keep_their_verdict(reading, store) -> None:
    run = saved_run(reading, store)
    claims = unchanged_claims(run.personas[0])
    claims["pain_points"][0] = ClaimEdit("Loses an hour to forgotten substitutions", [])

    edited = api.edit(run, 0, PersonaEdit(bio="New bio.", claims=claims), store=store)

    assert not edited.checked_against_data
    persona = edited.persona
    assert persona.bio == "New bio." and persona.pain_points[0].evidence == []
    assert all(e.verified is True for e in persona.all_evidence())
    assert persona.participants == ["Maria"]  # from the run's kept place → speaker

    claims["goals"][0] = ClaimEdit(claims["goals"][0].text, [MEALS, BUDGET])
    with pytest.raises(InputError, match=r"needs the study's passages.*maria\.md, tom\.md"):
        api.edit(store.get(run.id), 0, PersonaEdit(claims=claims), store=store)


def test_files_read_again_in_another_order_keep_the_runs_passage_ids(reading, store, tmp_path):
    run = saved_run(reading, store)
    again = api.read(tmp_path / "study" / "tom.md", tmp_path / "study" / "maria.md")
    assert again.passages[0].id == "P1" and again.passages[0].source == "tom.md"
    claims = unchanged_claims(run.personas[0])
    claims["goals"][0] = ClaimEdit(claims["goals"][0].text, [MEALS, BUDGET])
    persona = api.edit(run, 0, PersonaEdit(claims=claims), reading=again, store=store).persona
    budget = next(p for p in reading.passages if p.id == BUDGET)
    assert [e.quote for e in persona.goals[0].evidence][1] == budget.text
    assert api.study_passages(run, again) == reading.passages


def test_the_kept_copy_of_the_text_is_enough_to_cite(reading, store) -> None:
    run = saved_run(reading, store, keep_text=True)
    claims = unchanged_claims(run.personas[1])
    claims["goals"][0] = ClaimEdit(claims["goals"][0].text, [LATE, "P6"])
    edited = api.edit(run, 1, PersonaEdit(claims=claims), store=store)
    assert edited.checked_against_data
    assert edited.persona.goals[0].evidence[1].quote == reading.passages[5].text


def test_the_wrong_files_are_refused(reading, store, tmp_path: Path) -> None:
    run = saved_run(reading, store)
    other = tmp_path / "maria.md"
    other.write_text(MARIA.replace("80", "90"), encoding="utf-8")
    with pytest.raises(InputError, match="fingerprint"):
        api.edit(run, 0, PersonaEdit(name="Ana Ortega"), reading=api.read(other), store=store)


def test_old_records_without_edits_still_read(reading, store) -> None:
    run = saved_run(reading, store)
    with sqlite3.connect(store.path) as conn:
        (data,) = conn.execute("SELECT data FROM records WHERE idx = 0").fetchone()
        old = json.loads(data)
        del old["edits"]  # a record saved before hand edits existed
        conn.execute("UPDATE records SET data = ? WHERE idx = 0", (json.dumps(old),))
    again = store.get(run.id)
    assert again.records[0].edits == [] and again.personas[0] == run.personas[0]
    api.edit(again, 0, PersonaEdit(name="Ana Ortega"), store=store)
    assert store.get(run.id).personas[0].name == "Ana Ortega"
    assert [s.id for s in store.list(search="Ortega")] == [run.id]


def test_exports_and_chat_use_the_edited_version(reading, store) -> None:
    run = saved_run(reading, store)
    claims = unchanged_claims(run.personas[0])
    claims["behaviours"][0] = ClaimEdit("Keeps the weekly food budget under eighty euros")
    change = PersonaEdit(name="Ana Ortega", bio="Ana works nights.", claims=claims)
    api.edit(run, 0, change, store=store)

    saved = store.get(run.id)
    markdown = api.export(saved, "md").decode()
    assert "Ana Ortega" in markdown and "under eighty euros" in markdown
    assert "Ana Ruiz" not in markdown and "Spends under 80 euros" not in markdown
    data = json.loads(api.export(saved, "json"))
    shown = data["personas"][0]
    assert (shown["name"], shown["bio"]) == ("Ana Ortega", "Ana works nights.")
    assert shown["behaviours"][0]["text"] == "Keeps the weekly food budget under eighty euros"
    assert shown["status"] == "usable"
    versions = data["run"]["records"][0]  # every version goes with the run
    assert versions["draft"]["name"] == "Ana Ruiz" and versions["edits"][0]["name"] == "Ana Ortega"
    csv = api.export(saved, "csv").decode()
    assert "under eighty euros" in csv and "Spends under 80 euros" not in csv

    engine = QueuedEngine()  # as `persona chat` and the Chat panel pick the persona
    chat = PersonaChat(engine, "fake-model", saved.personas[0], reading.passages)
    given = chat.search("What do you plan on Sunday?").passages
    engine.queue(json.dumps({"supported": True, "answer": "I plan.", "cited": [given[0].id]}))
    list(chat.ask("What do you plan on Sunday?"))
    system = engine.calls[0]["messages"][0]["content"]
    assert "Ana Ortega" in system and "Ana works nights." in system and "Ana Ruiz" not in system


def run_cli(*args: str) -> int:
    return main(list(args))


def test_cli_edit_saves_a_new_version_and_prints_the_changes(
    reading, capsys, data_dir: Path
) -> None:
    store = api.open_history()
    run = saved_run(reading, store)

    code = run_cli(
        "edit",
        run.id[:8],
        "Ana",
        "--name",
        "Ana Ortega",
        "--role",
        "Night nurse",
        "--claim",
        "goals",
        "1",
        "Plans every meal on Sunday",
    )

    out = capsys.readouterr().out
    assert code == 0
    assert "Saved a new version of Ana Ortega" in out
    assert "before: Ana Ruiz" in out and "after:  Ana Ortega" in out
    assert "Verdict: usable" in out and "not checked again" in out
    persona = store.get(run.id).personas[0]
    assert (persona.name, persona.role) == ("Ana Ortega", "Night nurse")
    assert persona.goals[0].text == "Plans every meal on Sunday"


def test_cli_edit_cites_passages_from_the_files(reading, capsys, data_dir: Path, tmp_path) -> None:
    store = api.open_history()
    run = saved_run(reading, store)
    paths = [str(tmp_path / "study" / name) for name in ("maria.md", "tom.md")]

    assert run_cli("edit", run.id, "1", "--cite", "goals", "1", "P2,P4", "--from", *paths) == 0
    evidence = store.get(run.id).personas[0].goals[0].evidence
    assert [e.quote for e in evidence] == [reading.passages[1].text, reading.passages[3].text]
    capsys.readouterr()

    assert run_cli("edit", run.id, "1", "--cite", "goals", "1", "P4") == 0  # removing needs none
    assert [e.passage for e in store.get(run.id).personas[0].goals[0].evidence] == [BUDGET]
    capsys.readouterr()

    assert run_cli("edit", run.id, "1", "--cite", "goals", "1", "P99", "--from", *paths) == 1
    assert "P99 is not a passage of this study" in capsys.readouterr().err
    assert run_cli("edit", run.id, "1", "--claim", "goals", "4", "More") == 1
    assert "goals has statements 1 to 1" in capsys.readouterr().err
