"""Does a persona decline what its data cannot answer, and cite what it can?

    python -m bench.chat_grounding [--brain fake|real|both]

A persona made from the sample interviews (samples/interviews, samples/survey_excel_export.csv)
is asked the questions below: some the study answers, some it does not. The chat runs through
the fake Ollama server, answered either by its deterministic schema brain (``fake``, a
scripted model that always claims support and cites the first passage it may) or by the real
SmolLM2-135M through llama-cpp-python (``real``; needs the ``model`` extra). Prints, per
brain:

- unanswerable questions declined (target ≥ 90 %),
- answerable questions answered with at least one citation (target ≥ 80 % on the fake),
- shown quotes word for word: every passage shown equals the study's passage with that ID,
  and a transcript line also occurs in its file (target 100 %),
- seconds per question.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from persona.core.conversation import ChatTurn, Quote
from persona.core.documents import Passage
from persona.core.schema import Persona
from persona.engines.ollama import OllamaClient
from persona.engines.ollama.engine import OllamaEngine
from persona.generation.chat import PersonaChat
from persona.generation.research import with_ids
from persona.ingest import Reading, read_paths
from tests.fake_ollama import Brain, FakeOllama, SchemaBrain

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = [ROOT / "samples" / "interviews", ROOT / "samples" / "survey_excel_export.csv"]
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


def sample_persona(passages: list[Passage]) -> Persona:
    """A persona whose evidence is three real lines of Maria's interview."""
    lines = [p for p in passages if p.text.startswith("Maria:")][:3]
    evidence = [{"quote": p.text, "source": p.source, "locator": p.locator} for p in lines]
    claim = [{"text": "Orders on night-shift breaks", "evidence": evidence[:1]}]
    return Persona.model_validate(
        {
            "name": "Maria Night",
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


def measure(brain: Brain, reading: Reading) -> dict[str, Any]:
    passages = with_ids(reading.passages)
    study = {p.id: p for p in passages}
    files = {d.name: d.text for d in reading.documents}
    raw_files = {
        p.relative_to(SAMPLES[0]).as_posix(): p.read_text(encoding="utf-8")
        for p in SAMPLES[0].rglob("*")
        if p.is_file()
    }
    files.update(raw_files)
    persona = sample_persona(passages)
    turns: dict[str, list[ChatTurn]] = {"answerable": [], "unanswerable": []}
    started = time.perf_counter()
    with FakeOllama(models=[MODEL], brain=brain) as fake, OllamaClient(fake.url) as client:
        for kind, questions in (("answerable", ANSWERABLE), ("unanswerable", UNANSWERABLE)):
            for question in questions:
                chat = PersonaChat(OllamaEngine(client), MODEL, persona, passages)
                *_, turn = chat.ask(question)
                assert isinstance(turn, ChatTurn)
                turns[kind].append(turn)
        calls = len(fake.log("/api/chat"))
    seconds = time.perf_counter() - started
    shown = [q for kind in turns.values() for t in kind for q in (*t.cited, *t.nearest)]
    return {
        "declined": sum(not t.supported for t in turns["unanswerable"]) / len(UNANSWERABLE),
        "cited": sum(t.supported and bool(t.cited) for t in turns["answerable"]) / len(ANSWERABLE),
        "verbatim": sum(word_for_word(q, study, files) for q in shown) / max(len(shown), 1),
        "quotes": len(shown),
        "calls": calls,
        "seconds": seconds / (len(ANSWERABLE) + len(UNANSWERABLE)),
        "turns": turns,
    }


def report(name: str, result: dict[str, Any], verbose: bool) -> None:
    print(f"== {name}")
    print(f"unanswerable declined:           {result['declined']:6.0%}  (target >= 90%)")
    print(f"answerable answered with a cite: {result['cited']:6.0%}  (target >= 80% on the fake)")
    print(f"shown quotes word for word:      {result['verbatim']:6.0%}  of {result['quotes']}")
    print(f"model calls: {result['calls']}, {result['seconds']:.2f} s per question")
    if verbose:
        for kind, turns in result["turns"].items():
            for turn in turns:
                mark = "answered" if turn.supported else f"declined ({turn.note})"
                print(f"  [{kind}] {turn.question} -> {mark}: {turn.answer[:80]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--brain", choices=["fake", "real", "both"], default="both")
    parser.add_argument("--verbose", action="store_true", help="print every question's outcome")
    args = parser.parse_args()
    reading = read_paths(SAMPLES)
    if args.brain in ("fake", "both"):
        report("fake Ollama, scripted schema brain", measure(SchemaBrain(), reading), args.verbose)
    if args.brain in ("real", "both"):
        from tests.llama_backend import LlamaBrain

        report("fake Ollama, real SmolLM2-135M", measure(LlamaBrain(), reading), args.verbose)


if __name__ == "__main__":
    main()
