"""Tokens sent to the model for a corpus larger than its context, against the corpus's own tokens.

Run from the repository root: ``python -m bench.context_tokens [--factors 2 5 10]``.
For each factor, builds a realistic study (interview transcripts as Markdown, a survey export as
CSV) whose estimated tokens (`estimate_tokens` over the passages read) are
that many times the model's context window, reads it with :func:`persona.ingest.read_files`
and runs the real generation (`Generation`: plan, map over chunks,
merge, synthesis, repairs) against the fake Ollama server (``tests/fake_ollama.py``, schema
brain) serving ``smollm2:135m``, whose ``/api/show`` reports an 8,192-token context, and the
same model configured with a 2,048-token context (``--contexts``).

Tokens sent are counted from the fake server's request log: Persona's own estimate of every
message of every ``/api/chat`` call, and the ``prompt_eval_count`` the server reported (the fake
counts ~4 characters per token and caps at ``num_ctx``, like Ollama). The ratio sent / corpus
has a target of ≤ 1.2 at 5× the context, for both contexts. A breakdown shows where the extra
tokens go.

Also printed, for information only (the target is about tokens sent): the tokens a server that
keeps the previous prompt's cache (as Ollama does per slot) would still have to evaluate — each
call's tokens after the longest prefix it shares with the call before it (the calls are
sequential here), so an instruction repeated for every chunk is evaluated once.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from persona.core.documents import Passage
from persona.core.tokens import estimate_tokens
from persona.engines.ollama import OllamaClient
from persona.engines.ollama.engine import OllamaEngine
from persona.generation.generate import Generation, GenerationRequest
from persona.generation.prompts import format_data
from persona.ingest import Reading, read_files
from tests.fake_ollama import LIBRARY, Brain, BrainRequest, FakeOllama, SchemaBrain

MODEL = "smollm2:135m"
CONTEXT = LIBRARY[MODEL].context_length
TARGET = 1.2
TARGET_FACTOR = 5

# --- A realistic study --------------------------------------------------------------------------

FIRST = ["Maria", "Tom", "Priya", "Jonas", "Aiko", "Lucía", "Samuel", "Hannah", "Chloé", "Omar"]
LAST = ["Gonzalez", "Becker", "Nair", "Okafor", "Tanaka", "Fernández", "Osei", "Kowalski"]
ROLES = [
    "nurse on night shifts",
    "retired teacher",
    "PhD student in chemistry",
    "warehouse team lead",
    "freelance designer",
    "single father of three",
    "pharmacist",
    "bus driver",
]
QUESTIONS = [
    "Could you tell me a bit about yourself and how you shop for groceries?",
    "When do you usually place your orders?",
    "Walk me through the last time you ordered groceries online.",
    "What happens when an item you ordered is out of stock?",
    "How do you decide which delivery slot to pick?",
    "What do you do when something arrives damaged or missing?",
    "How do you keep track of what you spend on food each week?",
    "Who else in your household is involved in the shopping?",
    "Is there anything the app does that annoys you?",
    "If you could change one thing about the app, what would it be?",
]
OPENERS = [
    "Honestly,",
    "To be fair,",
    "Most weeks",
    "The thing is,",
    "I'd say",
    "Usually",
    "Last Tuesday",
    "What really bothers me is that",
]
PHRASES = [
    "the delivery slots are always full in the evening",
    "substitutions are often wrong, and nobody asks me first",
    "I can't see the price per kilo on the phone app",
    "the fee is too high for small orders",
    "my kids have allergies, so I check every label twice",
    "I work night shifts and need early-morning deliveries",
    "the text is small and the buttons are close together",
    "I rebuild the same basket every single week from scratch",
    "splitting the bill with my flatmates takes an hour",
    "frozen food arrived thawed when the driver was late",
    "support kept me on hold for twenty minutes",
    "a weekly budget with a running total would help a lot",
    "I order on my break, so it has to take less than ten minutes",
    "my daughter helps me with the app when she visits on Sundays",
    "I compare prices with the discount store before I check out",
    "the app logs me out every time and I forget my password",
]
SURVEY_COLUMNS = [
    "Respondent ID",
    "Age",
    "Household size",
    "How often do you order groceries online?",
    "What is the hardest part of ordering groceries online?",
    "What would make you order more often?",
    "Anything else you want to tell us?",
]
FREQUENCIES = ["Every week", "Twice a month", "Once a month", "Rarely"]


def _sentences(rng: random.Random, low: int, high: int) -> str:
    parts = [f"{rng.choice(OPENERS)} {rng.choice(PHRASES)}." for _ in range(rng.randint(low, high))]
    return " ".join(p[0].upper() + p[1:] for p in parts)


def interview(rng: random.Random, number: int) -> tuple[str, str]:
    """One transcript: a header, then questions and one or two answers to each."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    lines = [
        f"# Interview {number}: Basket grocery delivery app",
        "",
        f"Participant: {first} {last} ({rng.randint(22, 78)}, {rng.choice(ROLES)})",
        f"Date: {rng.randint(1, 28)} March 2024, video call, {rng.randint(30, 60)} minutes",
        "",
    ]
    for question in rng.sample(QUESTIONS, k=len(QUESTIONS)):
        lines += [f"Interviewer: {question}", ""]
        for _ in range(rng.randint(1, 2)):
            lines += [f"{first}: {_sentences(rng, 1, 4)}", ""]
    return f"interviews/{number:03d}_{first.lower()}_{last.lower()}.md", "\n".join(lines)


def survey_row(rng: random.Random, number: int) -> list[str]:
    return [
        f"R{number:04d}",
        str(rng.randint(18, 80)),
        str(rng.randint(1, 6)),
        rng.choice(FREQUENCIES),
        _sentences(rng, 1, 3),
        _sentences(rng, 1, 2),
        _sentences(rng, 0, 2),
    ]


def _row_tokens(row: list[str]) -> int:
    """Tokens of the passages the CSV reader makes of ``row``: one context line of the short
    answers (``Age: 34; Household size: 2; ...``), one passage per free-text answer; the
    respondent ID names the participant and is not part of the text."""
    cells = list(zip(SURVEY_COLUMNS, row, strict=True))[1:]
    context = "; ".join(f"{k}: {v}" for k, v in cells[:3] if v)
    return estimate_tokens(context) + sum(estimate_tokens(v) for _, v in cells[3:] if v)


def study(target_tokens: int, seed: int = 0) -> Reading:
    """Interviews (about 60% of the tokens) and a survey export, read as a user's upload."""
    rng = random.Random(seed)
    files: list[tuple[str, bytes]] = []
    used = 0
    while used < 0.6 * target_tokens:
        name, text = interview(rng, len(files) + 1)
        files.append((name, text.encode()))
        used += read_files([files[-1]]).total_tokens
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(SURVEY_COLUMNS)
    number = 0
    while used < target_tokens:
        number += 1
        row = survey_row(rng, number)
        writer.writerow(row)
        used += _row_tokens(row)
    files.append(("survey_export.csv", out.getvalue().encode("utf-8-sig")))
    reading = read_files(files)
    if reading.failed:
        raise SystemExit(f"the generated study did not read: {reading.failed[0].error}")
    return reading


# --- A brain with findings of a real model's size -----------------------------------------------

_QUESTION_MARK = re.compile(r"^[A-Z]{1,2}: ")
_SPEAKER = re.compile(r"^(?P<who>[A-Z][\w .'-]{0,30}):\s*(?P<said>.+)$")
_FINDING = re.compile(
    r"^- (?P<kind>[^|]*?) \| (?P<participant>[^|]*?) \| (?P<statement>.*?) \| "
    r"(?P<passages>(?:P[\d.]+ ?)+)$"
)
_LINE = re.compile(r"^(?P<id>P[\d.]+) (?P<text>.+)$")
_LIMIT = re.compile(r"List up to (\d+) distinct findings")
_MERGE = re.compile(r"Merge the findings below into at most (\d+)")
_KINDS = ("goal", "pain point", "behaviour", "motivation")


class RealisticBrain:
    """Findings sized like a real model's; personas from :class:`SchemaBrain`.

    The schema brain fills every string of a finding with a whole data line and merges any
    batch into one finding. This brain writes what the prompt asks: up to the limit of findings
    per chunk, each a one-sentence statement citing the passage's ID, and a merge that keeps
    as many findings as it is allowed.
    """

    def __init__(self) -> None:
        self.schema = SchemaBrain()

    def __call__(self, request: BrainRequest) -> str:
        system = _content(request.messages[0]) if request.messages else ""
        limit = _LIMIT.search(system)
        if limit:
            return self._findings(request.user_text, int(limit.group(1)))
        merge = _MERGE.search(system)
        if merge:
            return self._merge(request.user_text, int(merge.group(1)))
        return self.schema(request)

    @staticmethod
    def _findings(text: str, limit: int) -> str:
        """Up to ``limit`` findings, as the system prompt asks, each citing its passage."""
        lines = [m for line in text.splitlines() if (m := _LINE.match(line))]
        said = [(m["id"], *_said(m["text"])) for m in lines]
        step = max(1, len(said) // limit)
        findings = []
        for n, (pid, who, words) in enumerate(said[::step][:limit]):
            first = re.split(r"(?<=[.!?])\s", words, maxsplit=1)[0]
            gist = " ".join(first.split()[:16])
            findings.append(
                {
                    "kind": _KINDS[n % len(_KINDS)],
                    "statement": f"The participant says that {gist[:1].lower()}{gist[1:]}",
                    "participant": who,
                    "passages": [pid],
                }
            )
        return json.dumps({"findings": findings}, ensure_ascii=False)

    @staticmethod
    def _merge(text: str, limit: int) -> str:
        found = [
            {**match.groupdict(), "passages": match["passages"].split()}
            for line in text.splitlines()
            if (match := _FINDING.match(line))
        ]
        return json.dumps({"findings": found[::2][:limit]}, ensure_ascii=False)


def _said(text: str) -> tuple[str, str]:
    """(who, their words) of a cited line: a transcript turn (``Maria: ...``) or a survey
    answer (``B: ...`` names the question it answers when there are several)."""
    if mark := _QUESTION_MARK.match(text):
        return "a respondent", text[mark.end() :]
    if match := _SPEAKER.match(text):
        return match["who"], match["said"]
    return "a respondent", text


def _content(message: dict[str, Any]) -> str:
    content = message.get("content")
    return content if isinstance(content, str) else ""


BRAINS: dict[str, Callable[[], Brain]] = {"schema": SchemaBrain, "realistic": RealisticBrain}


# --- Counting -----------------------------------------------------------------------------------


@dataclass
class Tally:
    """Tokens sent, by where they went."""

    corpus: int
    calls: Counter[str] = field(default_factory=Counter)
    sent: int = 0
    evaluated: int = 0
    """Tokens after the prefix each call shares with the call before it (a prompt cache)."""
    reported: int = 0
    truncated: int = 0
    system: int = 0
    data_framing: int = 0
    merge: int = 0
    synthesis: int = 0
    finding_lines: int = 0
    repairs: int = 0
    seconds: float = 0.0
    framed: int = 0
    """The chunks' data alone as the model sees it (IDs, line breaks, file headers, fences)."""
    real: dict[str, int] = field(default_factory=dict)
    """The same counts by SmolLM2's own tokenizer: corpus, sent, framed."""
    chunks: int = 0
    num_ctx: int = 0

    @property
    def ratio(self) -> float:
        return self.sent / self.corpus


def _kind(messages: list[dict[str, Any]], count: int) -> str:
    system = messages[0].get("content", "") if messages else ""
    user = messages[1].get("content", "") if len(messages) > 1 else ""
    if _LIMIT.search(system):
        return "findings"
    if _MERGE.search(system):
        return "merge"
    if "from these findings" in user:
        return "synthesis"
    if "from this research data" in user:
        return "single"
    return "other"


def measure(
    factor: float,
    brain: str = "schema",
    count: int = 3,
    seed: int = 0,
    context: int = CONTEXT,
    tokenizer: Callable[[str], int] | None = None,
) -> Tally:
    """Run the real generation on a study ``factor`` × the context; count what was sent
    (also with ``tokenizer``, a real model's token count, when given)."""
    reading = study(int(factor * context), seed)
    passages = reading.passages
    own = {(p.source, p.locator): estimate_tokens(p.text) for p in passages}
    tally = Tally(corpus=sum(own.values()))
    spec = replace(LIBRARY[MODEL], context_length=context)
    with FakeOllama(models=[spec], brain=BRAINS[brain](), chunk_chars=256) as fake:
        client = OllamaClient(fake.url)
        request = GenerationRequest(model=MODEL, count=count, temperature=0, seed=seed)
        generation = Generation(OllamaEngine(client), passages, request)
        tally.chunks, tally.num_ctx = len(generation.plan.chunks), generation.plan.num_ctx
        tally.framed = sum(estimate_tokens(format_data(c)) for c in generation.plan.chunks)
        started = time.perf_counter()
        for _ in generation.events():
            pass
        tally.seconds = time.perf_counter() - started
        log = fake.log("/api/chat")
        client.close()
    if tokenizer is not None:
        tally.real = {
            "corpus": sum(tokenizer(p.text) for p in passages),
            "sent": sum(tokenizer(m["content"]) for e in log for m in e.body["messages"]),
            "framed": sum(tokenizer(format_data(c)) for c in generation.plan.chunks),
        }
    data_by_chunk = iter(generation.plan.chunks)
    previous = ""
    for entry in log:
        messages: list[dict[str, Any]] = entry.body["messages"]
        tokens = [estimate_tokens(m.get("content") or "") for m in messages]
        prompt = "\n".join(m.get("content") or "" for m in messages)
        shared = _shared_prefix(previous, prompt)
        tally.evaluated += max(0, sum(tokens) - estimate_tokens(prompt[:shared]))
        previous = prompt
        kind = _kind(messages, count)
        repair = len(messages) > 2
        tally.calls[kind + (" repair" if repair else "")] += 1
        tally.sent += sum(tokens)
        tally.reported += entry.prompt_tokens or 0
        tally.truncated += entry.truncated
        if repair:
            tally.repairs += sum(tokens)
            continue
        tally.system += tokens[0]
        if kind in ("findings", "single"):
            chunk: tuple[Passage, ...] = (
                next(data_by_chunk, ()) if kind == "findings" else tuple(passages)
            )
            tally.data_framing += tokens[1] - sum(estimate_tokens(p.text) for p in chunk)
        elif kind in ("merge", "synthesis"):
            setattr(tally, kind, getattr(tally, kind) + tokens[1])
            tally.finding_lines += messages[1]["content"].count("\n- ")
    return tally


def smollm2_tokenizer() -> Callable[[str], int] | None:
    """Token counts by the real SmolLM2 vocabulary (the demo GGUF, vocabulary only), or None
    when llama-cpp-python or the demo model is not installed."""
    try:
        from llama_cpp import Llama

        from persona.engines.llamacpp import demo_model_path

        vocab = Llama(str(demo_model_path()), vocab_only=True, verbose=False)
    except (ImportError, OSError, ValueError) as exc:
        print(f"(no real tokenizer: {exc})")
        return None
    return lambda text: len(vocab.tokenize(text.encode(), add_bos=False, special=False))


def _shared_prefix(a: str, b: str) -> int:
    """How many characters ``a`` and ``b`` share from the start."""
    for n, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return n
    return min(len(a), len(b))


def report(factor: float, brain: str, tally: Tally, context: int = CONTEXT) -> None:
    calls = ", ".join(f"{n} {kind}" for kind, n in sorted(tally.calls.items()))
    verdict = ""
    if factor == TARGET_FACTOR:
        verdict = f"  (target ≤ {TARGET}: {'OK' if tally.ratio <= TARGET else 'ABOVE TARGET'})"
    print(
        f"\n{factor:g}× the context, {brain} brain: corpus {tally.corpus:,} tokens "
        f"({tally.corpus / context:.2f}×) on a {context:,}-token model, {tally.chunks} chunks at "
        f"num_ctx {tally.num_ctx:,}"
    )
    print(f"  calls: {sum(tally.calls.values())} ({calls}); {tally.seconds:.1f} s")
    print(
        f"  tokens sent: {tally.sent:,} (server's prompt_eval_count: {tally.reported:,}; "
        f"truncated prompts: {tally.truncated})"
    )
    print(f"  ratio sent / corpus: {tally.ratio:.3f}{verdict}")
    if tally.repairs:
        first = (tally.sent - tally.repairs) / tally.corpus
        print(f"  without the repair calls (what the model wrote decides those): {first:.3f}")
    print(
        f"  floor: the chunks' data alone, framed as the model sees it, is "
        f"{tally.framed / tally.corpus:.3f} of the corpus (before any instruction or synthesis)"
    )
    if tally.real:
        corpus = tally.real["corpus"]
        print(
            f"  by SmolLM2's own tokenizer: corpus {corpus:,} tokens, sent {tally.real['sent']:,},"
            f" ratio {tally.real['sent'] / corpus:.3f}, floor {tally.real['framed'] / corpus:.3f}"
        )
    print(
        f"  (for information: {tally.evaluated / tally.corpus:.3f} of the corpus left to evaluate "
        "by a server that caches the previous prompt's prefix)"
    )

    def share(name: str, tokens: int) -> None:
        print(f"    {name:<42} {tokens:>8,}  {tokens / tally.corpus:+7.1%} of the corpus")

    share("system prompts (first tries)", tally.system)
    share("data framing (headers, IDs, tags)", tally.data_framing)
    share("findings sent to merge (whole prompts)", tally.merge)
    share("findings sent to synthesis (whole prompt)", tally.synthesis)
    share("repair calls (whole re-sends)", tally.repairs)
    if tally.finding_lines:
        each = (tally.merge + tally.synthesis) / tally.finding_lines
        print(f"    {tally.finding_lines} finding lines sent, ~{each:.0f} tokens each")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--factors", type=float, nargs="+", default=[2, TARGET_FACTOR, 10])
    parser.add_argument(
        "--brains", nargs="+", choices=sorted(BRAINS), default=list(BRAINS), help="fake models"
    )
    parser.add_argument("--count", type=int, default=3, help="personas asked for")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--contexts", type=int, nargs="+", default=[CONTEXT, 2048])
    args = parser.parse_args(argv)
    print(f"Model {MODEL}, served by the fake Ollama.")
    tokenizer = smollm2_tokenizer()
    summary = []
    for context in args.contexts:
        for brain in args.brains:
            for factor in args.factors:
                tally = measure(factor, brain, args.count, args.seed, context, tokenizer)
                report(factor, brain, tally, context)
                summary.append(f"{context}/{factor:g}×/{brain}: {tally.ratio:.3f}")
    print(f"\nratios sent / corpus (target ≤ {TARGET} at {TARGET_FACTOR}×): " + ", ".join(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
