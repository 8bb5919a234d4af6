"""Research in any language: detection, personas in the study's language, quotes as written,
and the quality checks (distinctness, evidence, redaction, chat) on German, Spanish and Japanese.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from persona.chat.persona_chat import PersonaChat
from persona.core.coverage import coverage
from persona.core.documents import Passage
from persona.core.overlap import distinctness
from persona.engines.ollama import OllamaClient
from persona.engines.ollama.engine import OllamaEngine
from persona.generation.language import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    detect_language,
    sample,
    with_language,
)
from persona.generation.pipeline import SavedGeneration
from persona.generation.prompts import language_line, personas_prompt
from persona.generation.request import GenerationRequest
from persona.history.store import Store
from persona.hybrid.labels import collect_names
from persona.hybrid.redact import Redactor
from persona.ingest import read_paths
from tests.fake_ollama import FakeOllama

ROOT = Path(__file__).resolve().parent.parent
LANGUAGE_SAMPLES = ROOT / "samples" / "languages"
STUDIES = {
    "de": ("German", ("Anna Schmidt", "Klaus Weber"), "Was ist mit den Ersatzprodukten?"),
    "es": ("Spanish", ("Lucía Romero", "Javier Ortega"), "¿Qué pasa con las sustituciones?"),
    "ja": ("Japanese", ("佐藤 美咲", "田中 博"), "代替品について教えてください"),
}
UNANSWERABLE = {
    "de": "Spielen Sie Fußball?",
    "es": "¿Juegas al fútbol?",
    "ja": "サッカーは好きですか",
}


@pytest.mark.parametrize("code", list(STUDIES))
def test_each_sample_study_is_detected(code: str) -> None:
    reading = read_paths([LANGUAGE_SAMPLES / code])
    detected = detect_language(reading.passages)
    assert detected.language == STUDIES[code][0] and detected.confidence > 0.9
    assert detected.label.startswith(f"{STUDIES[code][0]} (detected, ")


def test_the_english_samples_are_english_and_nothing_is_not_detected() -> None:
    assert (
        detect_language(read_paths([ROOT / "samples" / "interviews"]).passages).language
        == "English"
    )
    nothing = detect_language([Passage("a", "line 1", "Q?", citable=False)])
    assert nothing.language is None and nothing.label == "not detected"


def test_detection_samples_the_whole_study_within_a_bound() -> None:
    passages = [Passage("a", f"line {n}", f"Zeile {n} " + "x" * 95) for n in range(1000)]
    text = sample(passages, limit=2000)
    assert 2000 <= len(text) < 2300 and "Zeile 0 " in text and "Zeile 9" in text.split("\n")[-1]


def test_with_language_keeps_a_choice_else_detects_else_english() -> None:
    german = [Passage("a", "line 1", "Ich bestelle jeden Sonntag Lebensmittel für die Familie.")]
    request = GenerationRequest(model="m")
    assert with_language(request, german).language == "German"
    assert with_language(replace(request, language="Spanish"), german).language == "Spanish"
    assert with_language(request, []).language == DEFAULT_LANGUAGE
    assert set(LANGUAGES) >= {"English", "German", "Spanish", "Japanese"}


def test_the_prompt_tells_the_model_the_language_and_to_keep_quotes() -> None:
    line = language_line("German")
    assert "in German" in line and "never translate" in line
    assert language_line("") == "" and line in personas_prompt([], 2, "", language="German")


@pytest.mark.parametrize("code", list(STUDIES))
def test_the_whole_flow_in_each_language(code: str, tmp_path: Path) -> None:
    language, _names, question = STUDIES[code]
    reading = read_paths([LANGUAGE_SAMPLES / code])
    store = Store(tmp_path / "h.sqlite3")
    with FakeOllama() as fake, OllamaClient(fake.url) as client:
        engine = OllamaEngine(client)
        local = SavedGeneration(
            engine, reading, GenerationRequest(model="llama3.2:3b", count=2), store
        )
        list(local.events())
        # The fake cites passages unrelated to its claims (weak support), so the persona call
        # is repaired; the first call shows what the model is told.
        call = fake.log("/api/chat")[0]
        run = store.get(local.run.id)

        # the model was told the language, and given the data as written
        prompt = call.body["messages"][1]["content"]
        assert language_line(language) in prompt and run.options.language == language
        assert all(p.text in prompt for p in reading.passages)

        # quotes stay verbatim in the original language and are found in the data
        texts = [p.text for p in reading.passages]
        evidence = [ev for p in run.personas for ev in p.all_evidence()]
        assert evidence and all(ev.verified for ev in evidence)
        assert all(any(ev.quote in t for t in texts) for ev in evidence)

        # coverage and distinctness are computed on this study
        cover = coverage(run.personas, run.speakers)
        speakers = {p.participant for p in reading.passages if p.citable}
        assert set(cover.participants) == speakers and len(speakers) >= 2
        assert not speakers & {"Interviewerin", "Entrevistadora", "インタビュアー"}
        assert distinctness(run.personas, cover).pairs

        # a question in the study's language is answered from it, one off-topic declined
        chat = PersonaChat(engine, "llama3.2:3b", run.personas[0], reading.passages)
        turn = chat.ask(question)
        assert turn.supported and turn.cited and all(q.text in texts for q in turn.cited)
        off = chat.ask(UNANSWERABLE[code])
        assert not off.supported


@pytest.mark.parametrize("code", list(STUDIES))
def test_names_are_redacted_in_each_language(code: str) -> None:
    _, names, _ = STUDIES[code]
    passages = read_paths([LANGUAGE_SAMPLES / code]).passages
    found = collect_names(passages)
    assert set(names) <= set(found)
    assert not {"Interviewerin", "Entrevistadora", "インタビュアー", "Datum", "Fecha"} & set(found)
    redacted = Redactor(found).redact_data("\n".join(p.text for p in passages))
    for name in names:
        assert name not in redacted and name.split()[0] not in redacted
    assert "[PERSON_" in redacted


def test_japanese_names_are_redacted_with_or_without_the_space() -> None:
    redactor = Redactor(["佐藤 美咲"])
    assert redactor.redact_data("佐藤美咲さんと佐藤 美咲さん") == "[PERSON_1]さんと[PERSON_1]さん"
    assert redactor.restore("[PERSON_1]") == "佐藤美咲"


@pytest.mark.realmodel
def test_the_language_instruction_and_the_data_reach_the_real_model(tmp_path: Path) -> None:
    """SmolLM2 behind the fake Ollama: what it writes is not under test, what it was told is."""
    from persona.core.errors import GenerationError
    from tests.fake_ollama import BrainRequest
    from tests.test_realmodel import CONTEXT_CAP, MODEL, SEED, real_model

    brain = real_model()
    seen: list[BrainRequest] = []

    def recording(request: BrainRequest):
        seen.append(request)
        return brain(request)

    reading = read_paths([LANGUAGE_SAMPLES / "de"])
    request = GenerationRequest(
        model=MODEL, count=2, temperature=0, seed=SEED, max_repairs=0, context_cap=CONTEXT_CAP
    )
    store = Store(tmp_path / "h.sqlite3")
    with FakeOllama(models=[MODEL], brain=recording) as fake, OllamaClient(fake.url) as client:
        local = SavedGeneration(OllamaEngine(client), reading, request, store)
        try:
            list(local.events())
        except GenerationError as exc:
            assert exc.raw  # a clear failure that keeps the model's answer
        assert not fake.truncations()
    assert seen, "the real model was never asked"
    prompts = [call.user_text for call in seen]
    data_prompts = [p for p in prompts if "<research_data>" in p]
    assert data_prompts and all(language_line("German") in p for p in data_prompts)
    assert language_line("German") in prompts[-1], "the personas call was told the language"
    for passage in reading.passages:
        text = " ".join(passage.text.split())
        assert any(text in p for p in data_prompts), f"German data did not reach it: {text}"
    saved = store.get(local.run.id)
    assert saved.options.language == "German" and saved.status in (
        "complete",
        "partial",
        "failed",
    )
