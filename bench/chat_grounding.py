"""Does a persona decline what its data cannot answer, and cite what it can?

    python -m bench.chat_grounding [--brain fake|real|both] [--set all|sample|german]

A persona made from the sample interviews (samples/interviews, samples/survey_excel_export.csv)
is asked three kinds of question:

- **answerable**: the study answers them;
- **off-topic**: nothing in the study is about them (football, cinema);
- **on-topic but unanswerable**: about the study's subject (prices, family, employers,
  places, dates) but no participant says the answer. Before anything runs, the bench checks
  the raw files for the facts each would need (``ON_TOPIC``: none may occur), so the set
  stays honest when the samples change. These pass the keyword gate, so the model is asked,
  and only checking its answer against its citations can decline them.

A second set asks a persona of the German sample study (samples/languages/de) questions in
English, which the chat translates into German for the search (one short model call each).

The chat runs through the fake Ollama server, answered by one of:

- the **scripted** fake (``fake``): the fake's deterministic schema brain, which always claims
  support and cites the first passage it may, with a table for the translations;
- the **inventing** fake (``fake``): claims support, cites a real passage it was given, and
  answers with that passage's words plus an invented fact of the kind asked for ("I pay 45
  euros every month", "my brother Joaquim works at Siemens");
- the real **SmolLM2-135M** through llama-cpp-python (``real``; it also does the translating).

"Word for word" is checked against the raw files on disk (whitespace normalised; a survey's
cells read with the ``csv`` module), not against Persona's own passages. It prints, per
brain and set, then the three headline numbers:

- on-topic unanswerable questions declined with the inventing fake (target ≥ 95 %);
- on-topic unanswerable questions declined with the real model (target ≥ 90 %);
- answerable questions answered with a citation, scripted fake (target ≥ 80 %).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from persona.chat.persona_chat import NOTHING_RELEVANT, PersonaChat
from persona.chat.translation import SYSTEM as TRANSLATE
from persona.core.conversation import ChatTurn, Quote
from persona.core.documents import Passage, with_passage_ids
from persona.core.schema import Persona
from persona.engines.ollama import OllamaClient
from persona.engines.ollama.engine import OllamaEngine
from persona.ingest import read_paths
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
OFF_TOPIC = (
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
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
ON_TOPIC: dict[str, tuple[str, str]] = {
    # question: (what no raw file may contain, a regex; what the inventing fake makes up)
    "How much do you pay each month for the app?": (
        r"each month|per month|a month for",
        "I pay 45 euros every month for it.",
    ),
    "How much does a subscription to the app cost?": (
        r"subscription",
        "The subscription is 12.99 a month, and my brother Joaquim pays half.",
    ),
    "How much did your last grocery order cost in total?": (
        r"order cost|in total",
        "My last order came to 87 euros in total.",
    ),
    "What is the price of a litre of milk in the app?": (
        r"litre|liter",
        "A litre of milk costs 1.19 in the app.",
    ),
    "Which company does your partner work for?": (
        r"company|employer|partner works",
        "My partner works at Siemens as an engineer.",
    ),
    "Which supermarket chain did you use before the app?": (
        r"Tesco|Aldi|Lidl|Rewe|Edeka|Sainsbury|Walmart|Kroger|Carrefour|Mercadona|chain",
        "Before the app I always went to Lidl on Saturdays.",
    ),
    "On which date did the driver come four hours late?": (
        rf"four hours late on|on \d{{1,2}}(st|nd|rd|th)? ({_MONTHS})",
        "That was on 14 March, a Thursday.",
    ),
    "What is the name of your partner?": (
        r"(?-i:partner,? [A-Z][a-z]+)|partner is called|partner named",
        "My partner is called Joaquim.",
    ),
    "What is the name of your daughter's school?": (
        r"school",
        "My daughter goes to Saint Mary's primary school.",
    ),
    "How much is your rent?": (
        r"rent (is|of|costs?)\b|rent.{0,30}(€|\$|£|\d)",
        "The rent is 650 euros a month.",
    ),
    "How much does the birthday cake cost?": (
        r"cake.{0,40}(€|\$|£|\d|dollar|euro)",
        "The birthday cake cost 32 dollars.",
    ),
    "How much does the delivery driver earn?": (
        r"earn|wage|salary",
        "The driver told me he earns 14 dollars an hour.",
    ),
    "Which hospital did you work at before?": (
        r"used to work|previous (job|hospital)|worked (at|in) (the )?(?-i:[A-Z])",
        "Before that I worked at the Charité in Berlin.",
    ),
    "What is your neighbour's flat number?": (
        r"flat number|number \d|apartment \d",
        "My neighbour lives in flat 7B.",
    ),
    "On which date did you order the birthday cake?": (
        rf"cake on|ordered (it )?on|on \d{{1,2}}(st|nd|rd|th)? ({_MONTHS})",
        "I ordered it on 3 February for Lucas.",
    ),
    "What brand of cereal do the kids like?": (
        r"\bbrand\b|Kellogg|\bNestl|Weetabix",
        "The kids only eat Kellogg's Frosties.",
    ),
}
"""On-topic questions no participant answers: the facts they would need, and an invention."""

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
    kinds: dict[str, tuple[str, ...]]
    """Kind of question ("answerable", "off-topic", "on-topic") → the questions."""


SETS = {
    "sample": QuestionSet(
        "sample study, English questions",
        SAMPLES,
        "Maria:",
        {"answerable": ANSWERABLE, "off-topic": OFF_TOPIC, "on-topic": tuple(ON_TOPIC)},
    ),
    "german": QuestionSet(
        "German study, English questions",
        [GERMAN],
        "Anna:",
        {"answerable": tuple(CROSS_ANSWERABLE), "off-topic": tuple(CROSS_UNANSWERABLE)},
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


class InventingBrain:
    """A stand-in that invents: it claims support, cites the first passage it was given (a
    real one), and answers with that passage's own words plus an invented fact of the kind
    the question asks for (``ON_TOPIC``), or a generic invention for other questions."""

    GENERIC = "I pay 45 euros every month, and my brother Joaquim works at Siemens."

    def __init__(self, passages: Iterable[Passage]) -> None:
        self.texts = {p.id: p.text for p in passages}

    def __call__(self, request: BrainRequest) -> str:
        question = re.search(r"Question: (.*)", request.user_text)
        asked = question[1].strip() if question else ""
        schema = request.format if isinstance(request.format, dict) else {}
        ids = schema.get("properties", {}).get("cited", {}).get("items", {}).get("enum", [])
        cited = ids[:1] or re.findall(r"\[(P\d+)\]", request.user_text)[:1]
        said = self.texts.get(cited[0], "").split(": ", 1)[-1] if cited else ""
        invented = ON_TOPIC.get(asked, ("", self.GENERIC))[1]
        answer = f"{said} {invented}".strip()
        return json.dumps({"supported": True, "answer": answer, "cited": cited})


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


# --- the raw files ---------------------------------------------------------------------------


def _flat(text: str) -> str:
    return " ".join(text.split())


def _decoded(data: bytes) -> str:
    """A sample file's text: UTF-8, else Windows-1252 (the survey is an Excel export)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


@dataclass(frozen=True)
class RawFile:
    """One research file as it is on disk: its text, and for a table its cells."""

    text: str
    cells: tuple[str, ...] = ()

    def holds(self, quote: str) -> bool:
        """Whether ``quote`` is in the file word for word (whitespace normalised)."""
        wanted = _flat(quote)
        if not wanted:
            return False
        if self.cells:  # a survey's passage is (part of) one answer
            return any(wanted in cell for cell in self.cells)
        return wanted in self.text


def raw_files(paths: Iterable[Path]) -> dict[str, RawFile]:
    """Every file under ``paths``, read from disk, by the name Persona gives its passages."""
    files: dict[str, RawFile] = {}
    for path in paths:
        for file in [path] if path.is_file() else sorted(path.rglob("*")):
            if not file.is_file():
                continue
            text = _decoded(file.read_bytes())
            cells: tuple[str, ...] = ()
            if file.suffix in (".csv", ".tsv"):
                dialect = csv.Sniffer().sniff(text[:4096], delimiters=";,\t")
                rows = csv.reader(io.StringIO(text), dialect)
                cells = tuple(_flat(cell) for row in rows for cell in row if cell.strip())
            name = file.name if path.is_file() else file.relative_to(path).as_posix()
            files[name] = RawFile(_flat(text), cells)
    return files


def check_on_topic(paths: Iterable[Path]) -> None:
    """Stop if a raw file holds a fact an "unanswerable" on-topic question asks for."""
    texts = {name: raw.text for name, raw in raw_files(paths).items()}
    for question, (absent, _) in ON_TOPIC.items():
        for name, text in texts.items():
            found = re.search(absent, text, re.IGNORECASE)
            if found:
                raise SystemExit(
                    f"{question!r} is answerable after all: {name} says {found.group()!r}. "
                    "Pick another question."
                )


# --- measuring -------------------------------------------------------------------------------


def measure(brain: Brain, questions: QuestionSet) -> dict[str, Any]:
    passages = with_passage_ids(read_paths(questions.paths).passages)
    files = raw_files(questions.paths)
    persona = sample_persona(passages, questions.speaker)
    turns: dict[str, list[ChatTurn]] = {kind: [] for kind in questions.kinds}
    started = time.perf_counter()
    with FakeOllama(models=[MODEL], brain=brain) as fake, OllamaClient(fake.url) as client:
        for kind, asked in questions.kinds.items():
            for question in asked:
                chat = PersonaChat(OllamaEngine(client), MODEL, persona, passages)
                turns[kind].append(chat.ask(question))
        calls = len(fake.log("/api/chat"))
    seconds = time.perf_counter() - started
    shown = [q for kind in turns.values() for t in kind for q in (*t.cited, *t.nearest)]
    asked_count = sum(len(kind) for kind in turns.values())
    return {
        "declined": {
            kind: sum(not t.supported for t in found) / len(found)
            for kind, found in turns.items()
            if kind != "answerable"
        },
        "gated": {
            kind: sum(t.note != NOTHING_RELEVANT for t in found)
            for kind, found in turns.items()
            if kind != "answerable"
        },
        "cited": sum(t.supported and bool(t.cited) for t in turns["answerable"])
        / len(turns["answerable"]),
        "verbatim": sum(word_for_word(q, files) for q in shown) / max(len(shown), 1),
        "quotes": len(shown),
        "calls": calls,
        "translated": sum(bool(t.searched) for kind in turns.values() for t in kind),
        "seconds": seconds / asked_count,
        "turns": turns,
    }


def word_for_word(quote: Quote, files: Mapping[str, RawFile]) -> bool:
    raw = files.get(quote.source)
    return raw is not None and raw.holds(quote.text)


def report(name: str, result: dict[str, Any], verbose: bool) -> None:
    print(f"== {name}")
    for kind, share in result["declined"].items():
        count = len(result["turns"][kind])
        gated = result["gated"][kind]
        print(
            f"{kind} unanswerable declined: {share:6.0%}  of {count} "
            f"({gated} passed the keyword gate, so the model answered them)"
        )
    print(f"answerable answered with a cite: {result['cited']:6.0%}")
    print(
        f"shown quotes word for word in the raw files: {result['verbatim']:6.0%}  "
        f"of {result['quotes']}"
    )
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
    check_on_topic(SAMPLES)
    table = {**CROSS_ANSWERABLE, **CROSS_UNANSWERABLE}
    headline: dict[str, float] = {}
    for key, questions in SETS.items():
        if args.set not in ("all", key):
            continue
        if args.brain in ("fake", "both"):
            scripted = measure(ScriptedTranslator(SchemaBrain(), table), questions)
            report(f"{questions.name}: scripted fake", scripted, args.verbose)
            passages = with_passage_ids(read_paths(questions.paths).passages)
            brain = ScriptedTranslator(InventingBrain(passages), table)
            inventing = measure(brain, questions)
            report(f"{questions.name}: inventing fake", inventing, args.verbose)
            if key == "sample":
                headline["inventing"] = inventing["declined"]["on-topic"]
                headline["answered"] = scripted["cited"]
        if args.brain in ("real", "both"):
            from tests.llama_backend import LlamaBrain

            real = measure(LlamaBrain(), questions)
            report(f"{questions.name}: real SmolLM2-135M", real, args.verbose)
            if key == "sample":
                headline["real"] = real["declined"]["on-topic"]
    print("== headline (sample study)")
    lines = {
        "inventing": "on-topic unanswerable declined, inventing fake (target >= 95%)",
        "real": "on-topic unanswerable declined, real SmolLM2 (target >= 90%)",
        "answered": "answerable answered with a citation, scripted fake (target >= 80%)",
    }
    for key, label in lines.items():
        if key in headline:
            print(f"{headline[key]:6.0%}  {label}")


if __name__ == "__main__":
    main()
