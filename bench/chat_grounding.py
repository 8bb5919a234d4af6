"""Does a persona decline what its data cannot answer, and cite what it can?

    python -m bench.chat_grounding [--brain fake|real|both]

A persona made from the sample interviews (samples/interviews, samples/survey_excel_export.csv)
is asked the questions below: some the study answers, some it does not. A second set asks a
persona of the German sample study (samples/languages/de) questions in English, which the
chat translates into German for the search (one short model call each). The chat runs
through the fake Ollama server, answered either by its deterministic schema brain (``fake``,
a scripted model that always claims support and cites the first passage it may, and
translates from the fixed table below) or by the real SmolLM2-135M through llama-cpp-python
(``real``; needs the ``model`` extra; it also does the translating). Prints, per brain and
set:

- unanswerable questions declined (target ≥ 90 %),
- answerable questions answered with at least one citation (target ≥ 80 % on the fake),
- shown quotes word for word: every passage shown equals the study's passage with that ID,
  and a transcript line also occurs in its file (target 100 %),
- seconds per question (and, for the English questions on the German study, how many
  translations were asked for).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from persona.core.conversation import ChatTurn, Quote
from persona.core.documents import Passage, with_passage_ids
from persona.core.schema import Persona
from persona.engines.ollama import OllamaClient
from persona.engines.ollama.engine import OllamaEngine
from persona.generation.chat import PersonaChat
from persona.generation.translation import SYSTEM as TRANSLATE
from persona.ingest import Reading, read_paths
from tests.fake_ollama import Brain, BrainRequest, FakeOllama, SchemaBrain

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = [ROOT / "samples" / "interviews", ROOT / "samples" / "survey_excel_export.csv"]
GERMAN = ROOT / "samples" / "languages" / "de"
MODEL = "smollm2:135m"

ANSWERABLE = (
    "How do you feel about paying in the app?",
    "What goes wrong with substitutions?",
    "When do you place your grocery orders?",
    "What do you think about the delivery fee?",
    "How do you split the cost of a shared order?",
    "Is the text in the app easy to read?",
    "What do you do when something goes wrong with an order?",
    "What would make you order more often?",
    "Do you use the order again feature?",
    "How do you plan your food budget?",
    "Are the delivery slots a problem for you?",
    "Do you trust the fresh produce you get?",
)
UNANSWERABLE = (
    "What do you think about cryptocurrency wallets?",
    "Which football team do you support?",
    "What is your favourite holiday destination?",
    "Do you use voice assistants like Alexa?",
    "How often do you go to the cinema?",
    "What car do you drive?",
    "Which streaming service do you watch in the evening?",
    "What is your opinion on electric scooters?",
    "Do you play video games?",
    "How do you feel about your dentist?",
    "Which programming language do you prefer?",
    "Have you ever been skiing in the Alps?",
)

CROSS_ANSWERABLE = {  # English questions the German study answers, and their translation
    "How do you pay?": "Wie bezahlen Sie?",
    "What do you think of the substitute products?": "Was halten Sie von den Ersatzprodukten?",
    "What about the delivery windows?": "Was ist mit den Lieferfenstern?",
    "Is the font in the app too small?": "Ist die Schrift in der App zu klein?",
    "Do you trust paying in the app?": "Vertrauen Sie dem Bezahlen in der App?",
    "Would you like to talk to a person?": "Möchten Sie mit einem Menschen sprechen?",
    "What do you order every week?": "Was bestellen Sie jede Woche?",
    "When do you order groceries?": "Wann bestellen Sie Lebensmittel?",
}
CROSS_UNANSWERABLE = {
    "Which football team do you support?": "Welche Fußballmannschaft unterstützen Sie?",
    "What car do you drive?": "Welches Auto fahren Sie?",
    "Do you play video games?": "Spielen Sie Videospiele?",
    "How often do you go to the cinema?": "Wie oft gehen Sie ins Kino?",
    "What is your favourite holiday destination?": "Was ist Ihr liebstes Urlaubsziel?",
    "Have you ever been skiing in the Alps?": "Waren Sie schon einmal in den Alpen Ski fahren?",
}


@dataclass(frozen=True)
class QuestionSet:
    name: str
    paths: list[Path]
    speaker: str
    """Whose lines the persona's evidence is."""
    answerable: tuple[str, ...]
    unanswerable: tuple[str, ...]


SETS = {
    "sample": QuestionSet(
        "sample study, English questions", SAMPLES, "Maria:", ANSWERABLE, UNANSWERABLE
    ),
    "german": QuestionSet(
        "German study, English questions",
        [GERMAN],
        "Anna:",
        tuple(CROSS_ANSWERABLE),
        tuple(CROSS_UNANSWERABLE),
    ),
}


class ScriptedTranslator:
    """The fake's brain, translating the questions of the table above (a scripted model
    cannot translate); everything else goes to ``brain``."""

    def __init__(self, brain: Brain, table: Mapping[str, str]) -> None:
        self.brain = brain
        self.table = table
        self.prefix = TRANSLATE.split("{", 1)[0]

    def __call__(self, request: BrainRequest) -> str | Iterable[str]:
        system = next((m["content"] for m in request.messages if m["role"] == "system"), "")
        if system.startswith(self.prefix):
            question = request.user_text
            return json.dumps({"translation": self.table.get(question, question)})
        return self.brain(request)


def sample_persona(passages: list[Passage], speaker: str = "Maria:") -> Persona:
    """A persona whose evidence is three real lines of one participant's interview."""
    lines = [p for p in passages if p.text.startswith(speaker)][:3]
    evidence = [{"quote": p.text, "source": p.source, "locator": p.locator} for p in lines]
    claim = [{"text": "Orders on night-shift breaks", "evidence": evidence[:1]}]
    return Persona.model_validate(
        {
            "name": "Maria Night" if speaker == "Maria:" else "Anna Schicht",
            "age": "30-40",
            "role": "Nurse on night shifts",
            "bio": "A nurse who orders groceries on her phone during night-shift breaks.",
            "goals": [{"text": "Reorder the usual basket fast", "evidence": evidence[1:2]}],
            "pain_points": [{"text": "Little time to order", "evidence": evidence[2:3]}],
            "behaviours": claim,
            "quote": evidence[0],
        }
    )


def word_for_word(quote: Quote, study: dict[str, Passage], files: dict[str, str]) -> bool:
    passage = study.get(quote.id)
    if passage is None or passage.text != quote.text or passage.source != quote.source:
        return False
    raw = files.get(quote.source, "")
    return quote.source.endswith((".csv", ".tsv")) or quote.text in raw


def measure(brain: Brain, reading: Reading, questions: QuestionSet) -> dict[str, Any]:
    passages = with_passage_ids(reading.passages)
    study = {p.id: p for p in passages}
    files = {d.name: d.text for d in reading.documents}
    folder = questions.paths[0]
    raw_files = {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in folder.rglob("*")
        if p.is_file()
    }
    files.update(raw_files)
    persona = sample_persona(passages, questions.speaker)
    turns: dict[str, list[ChatTurn]] = {"answerable": [], "unanswerable": []}
    kinds = (("answerable", questions.answerable), ("unanswerable", questions.unanswerable))
    started = time.perf_counter()
    with FakeOllama(models=[MODEL], brain=brain) as fake, OllamaClient(fake.url) as client:
        for kind, asked in kinds:
            for question in asked:
                chat = PersonaChat(OllamaEngine(client), MODEL, persona, passages)
                *_, turn = chat.ask(question)
                assert isinstance(turn, ChatTurn)
                turns[kind].append(turn)
        calls = len(fake.log("/api/chat"))
    seconds = time.perf_counter() - started
    shown = [q for kind in turns.values() for t in kind for q in (*t.cited, *t.nearest)]
    answerable, unanswerable = turns["answerable"], turns["unanswerable"]
    return {
        "declined": sum(not t.supported for t in unanswerable) / len(unanswerable),
        "cited": sum(t.supported and bool(t.cited) for t in answerable) / len(answerable),
        "verbatim": sum(word_for_word(q, study, files) for q in shown) / max(len(shown), 1),
        "quotes": len(shown),
        "calls": calls,
        "translated": sum(bool(t.searched) for kind in turns.values() for t in kind),
        "seconds": seconds / (len(answerable) + len(unanswerable)),
        "turns": turns,
    }


def report(name: str, result: dict[str, Any], verbose: bool) -> None:
    print(f"== {name}")
    print(f"unanswerable declined:           {result['declined']:6.0%}  (target >= 90%)")
    print(f"answerable answered with a cite: {result['cited']:6.0%}  (target >= 80% on the fake)")
    print(f"shown quotes word for word:      {result['verbatim']:6.0%}  of {result['quotes']}")
    print(
        f"model calls: {result['calls']} ({result['translated']} questions translated), "
        f"{result['seconds']:.2f} s per question"
    )
    if verbose:
        for kind, turns in result["turns"].items():
            for turn in turns:
                mark = "answered" if turn.supported else f"declined ({turn.note})"
                searched = f" [searched: {turn.searched!r}]" if turn.searched else ""
                print(f"  [{kind}] {turn.question}{searched} -> {mark}: {turn.answer[:80]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--brain", choices=["fake", "real", "both"], default="both")
    parser.add_argument("--verbose", action="store_true", help="print every question's outcome")
    parser.add_argument(
        "--set", choices=["all", "sample", "german"], default="all", help="question sets to ask"
    )
    args = parser.parse_args()
    table = {**CROSS_ANSWERABLE, **CROSS_UNANSWERABLE}
    for questions in SETS.values() if args.set == "all" else [SETS[args.set]]:
        reading = read_paths(questions.paths)
        if args.brain in ("fake", "both"):
            brain = ScriptedTranslator(SchemaBrain(), table)
            name = f"{questions.name}: fake Ollama, scripted schema brain"
            report(name, measure(brain, reading, questions), args.verbose)
        if args.brain in ("real", "both"):
            from tests.llama_backend import LlamaBrain

            name = f"{questions.name}: fake Ollama, real SmolLM2-135M"
            report(name, measure(LlamaBrain(), reading, questions), args.verbose)


if __name__ == "__main__":
    main()
