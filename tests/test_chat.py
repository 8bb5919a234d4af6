"""Talking to a persona: grounded answers, declines, quotes word for word, kept in History."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from persona.chat.persona_chat import (
    DECLINE,
    DECLINES,
    MARKED_UNSUPPORTED,
    NO_CITATION,
    NOTHING_RELEVANT,
    UNREADABLE,
    PersonaChat,
    find_persona,
    format_passages,
    why_not_talk,
)
from persona.chat.retrieval import Retriever
from persona.cli.commands import main
from persona.cli.exits import EXIT_FAIL, EXIT_OK
from persona.core.conversation import ChatTurn, Quote
from persona.core.documents import Passage, with_passage_ids
from persona.core.errors import InputError
from persona.core.records import FileRef, PersonaRecord, Run
from persona.core.schema import Persona
from persona.engines.base import Capabilities
from persona.generation.research import keep_copy, passages_from_copy, run_passages
from persona.history.store import Store
from persona.ingest import read_files, read_paths
from tests.fakes import QueuedEngine, persona_dict

ROOT = Path(__file__).resolve().parent.parent
INTERVIEWS = ROOT / "samples" / "interviews"
LANGUAGE_SAMPLES = ROOT / "samples" / "languages"


@pytest.fixture(scope="module")
def study() -> list[Passage]:
    return with_passage_ids(read_paths([INTERVIEWS]).passages)


def maria(study: list[Passage]) -> Persona:
    lines = [p for p in study if p.text.startswith("Maria:")]
    return Persona.model_validate(persona_dict("Maria Night", "Nurse", lines[:3]))


def answer(supported: bool, text: str, cited: list[str]) -> str:
    return json.dumps({"supported": supported, "answer": text, "cited": cited})


def spoken(passage: Passage) -> str:
    """A passage's words without its speaker label: what a faithful persona says."""
    return passage.text.split(": ", 1)[-1]


# --- retrieval -------------------------------------------------------------------------------


def test_retrieval_finds_relevant_passages_and_puts_the_personas_own_first(study) -> None:
    retriever = Retriever(study)
    found = retriever.search("How do you feel about paying in the app?")
    assert found.relevant and any("pay the driver" in p.text for p in found.passages)
    own_place = f"{found.passages[-1].source}, {found.passages[-1].locator}"
    again = retriever.search("How do you feel about paying in the app?", own={own_place})
    assert again.hits[0].passage == found.passages[-1] and again.hits[0].own


def test_retrieval_says_when_nothing_is_relevant(study) -> None:
    found = Retriever(study).search("Which football team do you support?")
    assert not found.relevant and found.relevance < 0.5
    assert Retriever(study).search("the and of").hits == ()


def test_retrieval_stems_in_the_studys_language() -> None:
    passages = [
        Passage("a.md", "line 1", "Anna: Die Lieferungen kommen immer zu spät."),
        Passage("a.md", "line 2", "Anna: Ich bezahle lieber bar beim Fahrer."),
    ]
    found = Retriever(passages, "German").search("Wie ist es mit der Lieferung?")
    assert found.relevant and found.passages[0] == passages[0]


def test_retrieval_skips_passages_that_are_not_citable() -> None:
    passages = [
        Passage("a.md", "line 1", "Interviewer: How do you pay?", citable=False),
        Passage("a.md", "line 2", "Ann: I pay cash to the driver."),
    ]
    found = Retriever(passages).search("How do you pay?")
    assert found.passages == [passages[1]]


# --- chat ------------------------------------------------------------------------------------


def test_a_supported_answer_shows_the_cited_passages_word_for_word(study) -> None:
    engine = QueuedEngine()
    chat = PersonaChat(engine, "m", maria(study), study)
    given = chat.search("How do you feel about paying in the app?").passages
    said = spoken(given[1])
    engine.queue(answer(True, said, [given[1].id, "P9999"]))
    turn = chat.ask("How do you feel about paying   in the app?")
    assert turn.supported and turn.answer == said and turn.question.endswith("in the app?")
    assert turn.cited == [Quote.of(given[1])]  # the unknown ID is dropped, the text is the study's
    assert turn.note == "" and chat.history == [turn]
    call = engine.calls[0]
    assert call["schema"]["properties"]["cited"]["items"]["enum"] == [p.id for p in given]
    prompt = call["messages"][-1]["content"]
    assert all(f"[{p.id}]" in prompt and p.text in prompt for p in given)
    assert "Maria Night" in call["messages"][0]["content"]
    assert call["options"].max_tokens and call["options"].num_ctx


def test_the_model_is_told_that_an_answer_must_rest_on_what_it_cites(study) -> None:
    engine = QueuedEngine()
    chat = PersonaChat(engine, "m", maria(study), study)
    given = chat.search("What goes wrong with substitutions?").passages
    engine.queue(answer(True, spoken(given[0]), [given[0].id]))
    chat.ask("What goes wrong with substitutions?")
    system = " ".join(engine.calls[0]["messages"][0]["content"].split())
    assert "Every number, name, place and organisation in your answer must appear" in system
    assert "most of your words must come from them" in system


def test_nothing_relevant_declines_without_asking_the_model(study) -> None:
    engine = QueuedEngine()
    turn = PersonaChat(engine, "m", maria(study), study).ask("What car do you drive?")
    assert engine.calls == []
    assert not turn.supported and turn.answer == DECLINE and turn.note == NOTHING_RELEVANT


SUBSTITUTIONS = "What goes wrong with substitutions?"


def _invents(given: list[Passage]) -> str:
    """A stand-in that invents, says the data supports it and cites a real passage."""
    text = "I pay 45 euros every month, and my brother Joaquim works at Siemens."
    return answer(True, text, [given[0].id])


def _changes_a_number(given: list[Passage]) -> str:
    """Cites a passage that says "three" ("three other students") and says four."""
    passage = next(p for p in given if " three " in p.text)
    return answer(True, spoken(passage).replace("three", "four"), [passage.id])


def _unknown_id(given: list[Passage]) -> str:
    return answer(True, spoken(given[0]), ["P9999"])


def _says_other_things(given: list[Passage]) -> str:
    text = "Honestly I mostly cycle to the farmers market and bake my own sourdough at home."
    return answer(True, text, [given[0].id])


WHEN = "When do you place your grocery orders?"


@pytest.mark.parametrize(
    ("question", "reply", "why"),
    [
        (
            SUBSTITUTIONS,
            lambda given: answer(False, "I have no data on that.", []),
            MARKED_UNSUPPORTED,
        ),
        (SUBSTITUTIONS, lambda given: answer(True, "Invented, with no citation.", []), NO_CITATION),
        (SUBSTITUTIONS, _unknown_id, "cited only passages it was not given (P9999)"),
        (SUBSTITUTIONS, lambda given: '{"supported": true, "answer": "cut off', UNREADABLE),
        (
            SUBSTITUTIONS,
            _invents,
            "mentions “45”, “Joaquim”, “Siemens”, which the passages it cites do not",
        ),
        (WHEN, _changes_a_number, "mentions “4”, which the passages it cites do not"),
        (SUBSTITUTIONS, _says_other_things, "words are in the passages it cites"),
    ],
    ids=["unsupported", "no-cite", "unknown-id", "unreadable", "invents", "number", "words"],
)
def test_an_answer_its_passages_do_not_support_becomes_a_decline_that_says_why(
    study, question: str, reply, why: str
) -> None:
    engine = QueuedEngine()
    chat = PersonaChat(engine, "m", maria(study), study)
    nearest = chat.search(question).passages
    engine.queue(reply(nearest))
    turn = chat.ask(question)
    assert not turn.supported and turn.answer == DECLINE and why in turn.note
    assert turn.nearest == [Quote.of(p) for p in nearest[:3]] and turn.cited == []


@pytest.mark.parametrize(
    ("code", "language", "question"),
    [
        ("de", "German", "Was ist mit den Ersatzprodukten?"),
        ("es", "Spanish", "¿Qué pasa con las sustituciones?"),
        ("ja", "Japanese", "代替品について教えてください"),
    ],
)
def test_in_each_language_an_invention_is_declined_and_a_faithful_answer_shown(
    code: str, language: str, question: str
) -> None:
    passages = with_passage_ids(read_paths([LANGUAGE_SAMPLES / code]).passages)
    lines = [p for p in passages if p.citable][:3]
    persona = Persona.model_validate(persona_dict("Persona Name", "Role", lines))
    engine = QueuedEngine()
    chat = PersonaChat(engine, "m", persona, passages)
    assert chat.language == language
    given = chat.search(question).passages
    invented = {
        "de": "Ich zahle 45 Euro im Monat, mein Bruder Joaquim arbeitet bei Siemens.",
        "es": "Pago 45 euros al mes y mi hermano Joaquim trabaja en Siemens.",
        "ja": "毎月45ユーロ払っています。兄はシーメンスで働いています。",
    }[code]
    engine.queue(
        answer(True, invented, [given[0].id]), answer(True, spoken(given[0]), [given[0].id])
    )
    declined = chat.ask(question)
    assert not declined.supported and declined.answer == DECLINES[language]
    assert "“45”" in declined.note and declined.nearest
    shown = chat.ask(question)
    assert shown.supported and shown.answer == spoken(given[0])
    assert shown.cited == [Quote.of(given[0])]


def test_follow_up_questions_carry_the_conversation(study) -> None:
    engine = QueuedEngine()
    chat = PersonaChat(engine, "m", maria(study), study)
    first = chat.search("What goes wrong with substitutions?").passages[0].id
    said = spoken(chat.search("What goes wrong with substitutions?").passages[0])
    engine.queue(answer(True, said, [first]))
    chat.ask("What goes wrong with substitutions?")
    engine.queue(answer(True, said, [first]))
    chat.ask("And what about substitutions of bread?")
    roles = [m["role"] for m in engine.calls[1]["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
    assert engine.calls[1]["messages"][2]["content"] == said


def test_without_enum_support_the_schema_allows_any_id(study) -> None:
    engine = QueuedEngine()
    engine.capabilities = Capabilities(schema_enum=False)
    chat = PersonaChat(engine, "m", maria(study), study)
    given = chat.search("What goes wrong with substitutions?").passages
    engine.queue(answer(True, "Bread.", [given[0].id]))
    chat.ask("What goes wrong with substitutions?")
    assert engine.calls[0]["schema"]["properties"]["cited"]["items"] == {"type": "string"}


def test_chat_needs_a_question_a_model_and_participants_words(study) -> None:
    with pytest.raises(InputError, match="model"):
        PersonaChat(QueuedEngine(), " ", maria(study), study)
    with pytest.raises(InputError, match="no participant's words"):
        PersonaChat(
            QueuedEngine(), "m", maria(study), [Passage("a", "line 1", "Q?", citable=False)]
        )
    with pytest.raises(InputError, match="question"):
        PersonaChat(QueuedEngine(), "m", maria(study), study).ask("   ")


def test_an_unusable_persona_cannot_be_talked_to(study) -> None:
    unusable = maria(study).model_copy(update={"unusable": ["its goals repeat one claim"]})
    with pytest.raises(InputError, match=r"Maria Night cannot be talked to.*repeat one claim"):
        PersonaChat(QueuedEngine(), "m", unusable, study)
    assert why_not_talk(maria(study)) is None
    refusal = why_not_talk(unusable, "Maria Night (2)")
    assert refusal is not None and refusal.startswith("Maria Night (2) cannot")


def test_cli_chat_refuses_an_unusable_persona_before_reading_the_study(
    tmp_path: Path, study, data_dir, capsys
) -> None:
    unusable = maria(study).model_copy(update={"unusable": ["the role is a file name"]})
    store = Store(data_dir / "history.sqlite3")
    run = Run(model="m", records=[PersonaRecord(draft=unusable)], status="complete")
    store.save(run)
    code = main(["chat", run.id, "1", "--from", str(tmp_path / "missing"), "--ask", "Why?"])
    err = capsys.readouterr().err
    assert code == EXIT_FAIL
    assert "cannot be talked to" in err and "the role is a file name" in err
    assert "missing" not in err  # refused before the (absent) files were read


def test_find_persona_by_number_or_name(study) -> None:
    personas = [maria(study), maria(study).model_copy(update={"name": "Tom Becker"})]
    run = Run(model="m", records=[PersonaRecord(draft=p) for p in personas])
    assert find_persona(run, "2") == 1 and find_persona(run, "tom") == 1
    assert find_persona(run, "Maria Night") == 0
    with pytest.raises(InputError, match="no persona number 3"):
        find_persona(run, "3")
    with pytest.raises(InputError, match=r"matches no persona.*1\. Maria Night, 2\. Tom Becker"):
        find_persona(run, "Priya")


def test_the_model_sees_who_said_each_passage_and_the_question_it_answers() -> None:
    passages = [
        Passage("s.csv", "row 2, Q5", "Too  dear", "P3", "R7", question="Why  not?"),
        Passage("a.md", "line 4", "Maria: I plan on Sunday", "P4", "Maria"),
    ]
    assert format_passages(passages).splitlines()[1:-1] == [
        "[P3] (R7, asked: Why not?) Too  dear",
        "[P4] (Maria) Maria: I plan on Sunday",
    ]


# --- the research text again ---------------------------------------------------------------


def test_the_kept_copy_gives_back_every_passage_exactly() -> None:
    passages = [
        Passage("a.csv", "row 2", "Name: Ann;\nAnswer: multi\nline", id="P1", participant="R1"),
        Passage("a.csv", "row 2, Q5", "Too dear", id="P3", participant="R1", question="Why?"),
        Passage("a.md", "line 1", "# Heading", id="P2", citable=False),
    ]
    assert passages_from_copy(keep_copy(passages)) == passages
    legacy = passages_from_copy("first line\n\nsecond line")
    assert [(p.locator, p.text) for p in legacy] == [
        ("passage 1", "first line"),
        ("passage 2", "second line"),
    ]


def test_run_passages_checks_fingerprints() -> None:
    files = [("a.md", b"Ann: I pay cash.\n"), ("b.md", b"Bob: I pay by card.\n")]
    reading = read_files(files)
    run = Run(
        model="m",
        files=[
            FileRef(name=d.name, sha256=d.sha256, size_bytes=d.size_bytes, kind=d.kind)
            for d in reading.documents
        ],
    )
    shuffled = read_files([*reversed(files), ("extra.md", b"Other study.\n")])
    assert [p.text for p in run_passages(run, shuffled)] == [
        "Ann: I pay cash.",
        "Bob: I pay by card.",
    ]
    with pytest.raises(InputError, match=r"b\.md is not the same as when this run was made"):
        run_passages(run, read_files([files[0], ("b.md", b"Bob: changed.\n")]))
    with pytest.raises(InputError, match=r"b\.md is missing"):
        run_passages(run, read_files(files[:1]))
    with pytest.raises(
        InputError, match=r"upload the research files of this run again \(a.md, b.md\)"
    ):
        run_passages(run, None)
    kept = run.model_copy(update={"research_text": keep_copy(reading.passages)})
    assert [p.id for p in run_passages(kept, None)] == ["P1", "P2"]


# --- History ---------------------------------------------------------------------------------


def test_conversations_are_kept_per_persona_and_go_with_the_run(tmp_path: Path, study) -> None:
    store = Store(tmp_path / "h.sqlite3")
    run = Run(model="m", records=[PersonaRecord(draft=maria(study))] * 2, status="complete")
    store.save(run)
    quote = Quote.of(study[3])
    store.add_turn(run.id, 0, ChatTurn(question="q1", answer="a1", supported=True, cited=[quote]))
    store.add_turn(
        run.id, 0, ChatTurn(question="q2", answer=DECLINE, supported=False, nearest=[quote])
    )
    store.add_turn(run.id, 1, ChatTurn(question="other", answer="x", supported=True))
    assert [t.question for t in store.conversation(run.id, 0)] == ["q1", "q2"]
    assert store.conversation(run.id, 0)[0].cited == [quote]
    store.clear_conversation(run.id, 1)
    assert store.conversation(run.id, 1) == []
    with pytest.raises(InputError):
        store.add_turn("nope", 0, ChatTurn(question="q", answer="a", supported=True))
    store.delete(run.id)
    assert store.conversation(run.id, 0) == []


def test_an_older_history_is_migrated_and_keeps_its_runs(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    from persona.history.migrations import MIGRATIONS

    with sqlite3.connect(path) as conn:
        for statement in MIGRATIONS[0]:
            assert isinstance(statement, str)
            conn.execute(statement)
        conn.execute(
            "INSERT INTO runs VALUES ('r1', '2026-01-01T00:00:00+00:00', 'local', 'm', NULL, "
            "'complete', '', '{}', '[]', '', '{}', '[]', NULL, 'host|1|1.0')"
        )
        conn.execute("PRAGMA user_version = 1")
    store = Store(path)
    run = store.get("r1")
    assert run.status == "complete" and run.speakers == {}
    store.add_turn("r1", 0, ChatTurn(question="q", answer="a", supported=True))
    assert len(store.conversation("r1", 0)) == 1


# --- the terminal ----------------------------------------------------------------------------


def generated_run(fake_ollama, capsys, out: Path, keep_text: bool = False) -> str:
    args = ["generate", "--from", str(INTERVIEWS), "--count", "2", "--out", str(out)]
    code = main([*args, *(["--keep-text"] if keep_text else []), "--host", fake_ollama.url])
    _, err = capsys.readouterr()
    assert code == EXIT_OK, err
    return err.rsplit("run ", 1)[1].strip()


def test_cli_chat_ask_answers_once_with_quotes_and_saves(fake_ollama, capsys, data_dir) -> None:
    run_id = generated_run(fake_ollama, capsys, data_dir)
    code = main(
        [
            "chat",
            run_id[:8],
            "1",
            "--from",
            str(INTERVIEWS),
            "--ask",
            "What goes wrong with substitutions?",
            "--host",
            fake_ollama.url,
        ]
    )
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    assert "Sources, word for word:" in out
    study = {p.text for p in read_paths([INTERVIEWS]).passages}
    quoted = [line.strip()[1:-1] for line in out.splitlines() if line.startswith("    “")]
    assert quoted and all(q in study for q in quoted)
    store = Store(data_dir / "history.sqlite3")
    [turn] = store.conversation(run_id, 0)
    assert turn.supported and turn.cited


def test_cli_chat_declines_and_needs_the_files(fake_ollama, capsys, data_dir) -> None:
    run_id = generated_run(fake_ollama, capsys, data_dir)
    study = Store(data_dir / "history.sqlite3").get(run_id).study
    assert main(["study", "remove", study, "--yes"]) == EXIT_OK  # the study's copies go
    code = main(["chat", run_id, "1", "--ask", "What car?", "--host", fake_ollama.url])
    assert (
        code == EXIT_FAIL
        and "upload the research files of this run again" in capsys.readouterr().err
    )
    code = main(
        [
            "chat",
            run_id,
            "1",
            "--from",
            str(INTERVIEWS),
            "--ask",
            "Which football team do you support?",
            "--host",
            fake_ollama.url,
        ]
    )
    out, _ = capsys.readouterr()
    assert code == EXIT_OK and DECLINE in out


def test_cli_chat_interactive_uses_the_kept_copy(
    fake_ollama, capsys, data_dir, monkeypatch
) -> None:
    run_id = generated_run(fake_ollama, capsys, data_dir, keep_text=True)
    questions = iter(["What goes wrong with substitutions?", "", "exit"])
    monkeypatch.setattr("builtins.input", lambda _prompt: next(questions))
    assert main(["chat", run_id, "1", "--host", fake_ollama.url]) == EXIT_OK
    out, err = capsys.readouterr()
    assert "Talking to" in err and "Sources, word for word:" in out
    assert len(Store(data_dir / "history.sqlite3").conversation(run_id, 0)) == 1


def test_cli_chat_context_shows_each_passage_with_the_turns_around_it(
    fake_ollama, capsys, data_dir
) -> None:
    run_id = generated_run(fake_ollama, capsys, data_dir)
    question = "What goes wrong with substitutions?"
    args = ["chat", run_id, "1", "--from", str(INTERVIEWS), "--ask", question, "--context"]
    assert main([*args, "--host", fake_ollama.url]) == EXIT_OK
    out, _ = capsys.readouterr()
    [turn] = Store(data_dir / "history.sqlite3").conversation(run_id, 0)
    study = with_passage_ids(read_paths([INTERVIEWS]).passages)
    assert turn.cited and out.count("    In context:") == len(turn.cited)
    blocks = out.split("  [")[1:]
    for quote, block in zip(turn.cited, blocks, strict=True):
        assert block.startswith(f"{quote.id}] ")
        focus = [line for line in block.splitlines() if line.startswith("    » ")]
        assert len(focus) == 1 and focus[0].startswith(f"    » {quote.locator} · ")
        place = next(i for i, p in enumerate(study) if p.id == quote.id)
        before = study[place - 1]  # the turn before it, in the same file, is shown too
        if before.source == quote.source and before.text != quote.text:
            assert f"      {before.locator}" in block or "      Question: " in block
        assert any(line.startswith("      Question: ") for line in block.splitlines()), block


def test_cli_chat_interactive_context_command(fake_ollama, capsys, data_dir, monkeypatch) -> None:
    run_id = generated_run(fake_ollama, capsys, data_dir, keep_text=True)
    study = with_passage_ids(read_paths([INTERVIEWS]).passages)
    question = next(p for p in study if p.text.endswith("?") and not p.citable)
    answer_id = study[study.index(question) + 1].id
    questions = iter(
        [
            "context 1",  # nothing answered yet
            "What goes wrong with substitutions?",
            "context 1",
            f"context {answer_id.lower()}",
            "context P99999",
            "exit",
        ]
    )
    monkeypatch.setattr("builtins.input", lambda _prompt: next(questions))
    assert main(["chat", run_id, "1", "--host", fake_ollama.url]) == EXIT_OK
    out, err = capsys.readouterr()
    assert "'context P12'" in err
    assert "There is no passage 1: the chat has no passages yet" in err
    assert "There is no passage P99999 in this study." in err
    [turn] = Store(data_dir / "history.sqlite3").conversation(run_id, 0)
    first = turn.cited[0]
    assert f"[{first.id}] in context — {first.source}, {first.locator}" in out
    assert f"  » {first.locator} · " in out
    assert f"[{answer_id}] in context — " in out
    assert f"  Question asked: {' '.join(question.text.split())}" in out
    assert len(Store(data_dir / "history.sqlite3").conversation(run_id, 0)) == 1


def test_cli_chat_help_documents_context(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["chat", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--context" in help_text and "context P12" in help_text
