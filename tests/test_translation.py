"""Questions in another language than the study's: translated for the search, answered in
the question's language, still declined when the data says nothing."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from persona.chat.persona_chat import (
    DECLINE,
    DECLINES,
    NOTHING_RELEVANT,
    SEARCHED,
    PersonaChat,
)
from persona.chat.retrieval import Retriever
from persona.chat.translation import in_other_language
from persona.cli.chat import ask as cli_ask
from persona.core.documents import Passage, with_passage_ids
from persona.core.schema import Persona
from persona.ingest import read_paths
from tests.fakes import QueuedEngine, persona_dict

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ROOT / "samples" / "languages"
ENGLISH = with_passage_ids(read_paths([ROOT / "samples" / "interviews"]).passages)


def study(code: str) -> list[Passage]:
    return with_passage_ids(read_paths([LANGUAGES / code]).passages)


def persona(passages: list[Passage]) -> Persona:
    lines = [p for p in passages if p.citable][:3]
    return Persona.model_validate(persona_dict("Anna Schmidt", "Pflegerin", lines))


def translation(text: str) -> str:
    return json.dumps({"translation": text}, ensure_ascii=False)


def answer(text: str, cited: list[str]) -> str:
    return json.dumps({"supported": True, "answer": text, "cited": cited})


@pytest.mark.parametrize(
    ("code", "language", "translated", "expected"),
    [
        ("de", "German", "Was halten Sie von den Ersatzprodukten?", "Ersatzprodukte"),
        ("es", "Spanish", "¿Qué te molesta del gasto de envío?", "gasto de envío"),
        ("ja", "Japanese", "代替品について教えてください", "代替品"),
    ],
)
def test_an_english_question_is_searched_in_the_studys_language_and_answered_in_english(
    code: str, language: str, translated: str, expected: str
) -> None:
    passages = study(code)
    engine = QueuedEngine([translation(translated)])
    chat = PersonaChat(engine, "m", persona(passages), passages)
    assert chat.language == language
    found = chat.search(translated)
    assert found.relevant and any(expected in p.text for p in found.passages)
    engine.queue(answer("The substitutes annoy me.", [found.passages[0].id]))
    question = (
        "What annoys you about substitutions?"
        if code != "es"
        else ("What bothers you about the delivery fee?")
    )
    turn = chat.ask(question)
    first, second = engine.calls
    assert language in first["messages"][0]["content"]
    assert first["messages"][-1]["content"] == question
    assert first["schema"]["required"] == ["translation"]
    assert first["options"].max_tokens and first["options"].temperature == 0.0
    prompt = second["messages"][-1]["content"]
    assert f"Question: {question}" in prompt  # the persona answers the question as asked
    assert "Answer in English, the language of the question." in prompt
    assert all(f"[{p.id}]" in prompt for p in found.passages)
    assert turn.supported and turn.searched == translated and turn.question == question
    assert turn.cited[0].text == found.passages[0].text  # the study's words, untranslated


def test_the_persona_still_declines_what_the_data_cannot_answer() -> None:
    passages = study("de")
    engine = QueuedEngine([translation("Welche Fußballmannschaft unterstützen Sie?")])
    turn = PersonaChat(engine, "m", persona(passages), passages).ask("Which football team?")
    assert len(engine.calls) == 1  # the translation only: nothing relevant, no answer asked
    assert not turn.supported and turn.answer == DECLINE and turn.note == NOTHING_RELEVANT
    assert turn.searched == "Welche Fußballmannschaft unterstützen Sie?"


@pytest.mark.parametrize(
    ("code", "question", "language"),
    [
        ("de", "Welche Fußballmannschaft unterstützen Sie am Wochenende?", "German"),
        ("es", "¿Qué equipo de fútbol apoya usted los domingos?", "Spanish"),
    ],
)
def test_a_decline_is_in_the_language_of_the_question(
    code: str, question: str, language: str
) -> None:
    passages = study(code)
    engine = QueuedEngine()
    turn = PersonaChat(engine, "m", persona(passages), passages).ask(question)
    assert engine.calls == []  # the study's own language: nothing to translate, nothing found
    assert not turn.supported and turn.note == NOTHING_RELEVANT
    assert turn.answer == DECLINES[language] != DECLINE


def test_a_question_in_the_studys_language_is_not_translated() -> None:
    passages = study("de")
    engine = QueuedEngine()
    chat = PersonaChat(engine, "m", persona(passages), passages)
    found = chat.search("Was halten Sie von den Ersatzprodukten?")
    engine.queue(answer("Die Ersatzprodukte.", [found.passages[0].id]))
    turn = chat.ask("Was halten Sie von den Ersatzprodukten?")
    [call] = engine.calls
    assert "Answer in" not in call["messages"][-1]["content"]
    assert turn.supported and turn.searched == ""


def test_an_unreadable_translation_searches_the_question_as_asked() -> None:
    passages = study("de")
    engine = QueuedEngine(['{"translation": '])
    turn = PersonaChat(engine, "m", persona(passages), passages).ask("What about substitutions?")
    assert len(engine.calls) == 1 and not turn.supported and turn.searched == ""


@pytest.mark.parametrize(
    ("question", "passages", "foreign"),
    [
        ("When do you order?", "de", True),  # lingua alone reads this as German
        ("What goes wrong with substitutions?", "de", True),
        ("Wann bestellen Sie?", "de", False),
        ("¿Cuándo pides la compra?", "de", True),
        ("What car do you drive?", "en", False),
        ("When do you order?", "en", False),
        ("Was ist mit den Ersatzprodukten?", "en", True),
        ("What about the app?", "ja", True),
        ("アプリについてどう思いますか", "en", True),
    ],
)
def test_which_questions_count_as_another_language(
    question: str, passages: str, foreign: bool
) -> None:
    texts = ENGLISH if passages == "en" else study(passages)
    language = {"en": "English", "de": "German", "ja": "Japanese"}[passages]
    retriever = Retriever(texts, language)
    assert (in_other_language(question, language, retriever) is not None) is foreign
    assert in_other_language(question, None, retriever) is None  # unknown study language


def test_the_terminal_says_what_the_study_was_searched_for() -> None:
    passages = study("de")
    engine = QueuedEngine([translation("Was halten Sie von den Ersatzprodukten?")])
    chat = PersonaChat(engine, "m", persona(passages), passages)
    engine.queue(answer("The substitutes.", [chat.search("Ersatzprodukte").passages[0].id]))
    out = io.StringIO()
    turn = cli_ask(chat, "What about substitutions?", out)
    assert turn.supported
    assert f"({SEARCHED}: “Was halten Sie von den Ersatzprodukten?”)" in out.getvalue()
