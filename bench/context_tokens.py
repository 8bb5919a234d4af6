"""Tokens a real llama.cpp server EVALUATES for a corpus larger than the model's context.

Run from the repository root: ``python -m bench.context_tokens [--factors 2 5 10]``.

For each model context (``--contexts``, default 8,192 and 2,048 tokens) and factor, writes a
realistic study (interview transcripts as Markdown, a survey export as CSV) of about that many
times the context, reads it with :func:`persona.ingest.read_files` and runs the real generation
(`Generation`: plan, findings per chunk, merges, persona calls, repairs) at ``parallel`` 1
against the fake Ollama (``tests/fake_ollama.py``; findings the size a real model writes).

Every chat request Persona sent is then sent, in the same order, to a real server:
llama-cpp-python's ``llama_cpp.server`` serving the demo model's GGUF (SmolLM2-135M, the file
the built-in engine uses) with its prompt cache on (``--cache true``), started fresh for each
run. It answers one token (``max_tokens`` 1, the request's JSON schema as its grammar), so what
is measured is the prompt phase: how many tokens llama.cpp evaluated for each request after
reusing the longest prefix it shares with what its single slot (or its RAM cache) holds,
from the server's own verbose report (``llama_perf_context_print: prompt eval time = ... /
N tokens``, beside llama-cpp-python's ``prefix-match hit, remaining N prompt tokens to eval``).

The corpus is counted independently of Persona: the server's own tokenizer
(``/extras/tokenize``) over the text of the raw files written to disk. Targets, at 5× the
context: tokens evaluated ≤ 1.20× the corpus at 8k and ≤ 1.35× at 2k. Printed beside them:
tokens sent (the rendered chat prompts, as the server counted them) and the floor (the chunks'
data alone, framed as the model sees it, by the same tokenizer).

The answers come from the fake. In a real run the server's cache holds each answer after its
prompt (it generated it), and a repair that shows the model its own answer reuses it: so before
a repair is sent, its call's answer is put in the server's cache (the prompt and the answer,
one more request); those tokens are generated in a real run, not prompt, and are counted apart.
The server's context is larger than the model context planned for, so that no prompt is
refused whatever its real token count; the cache works the same.

``--replay`` counts the same calls without running the server (:mod:`bench.token_replay`: its
tokenizer and chat template in this process, each call after the longest prefix it shares with
an earlier one), for an 8k run where llama.cpp is too slow to finish; it matched the real
server to the token on the 2k run.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import requests

from bench.token_replay import Replay
from persona.core.tokens import estimate_tokens
from persona.engines.llamacpp import demo_model_path
from persona.engines.ollama import OllamaClient
from persona.engines.ollama.engine import OllamaEngine
from persona.generation.generate import Generation
from persona.generation.prompts import format_data
from persona.generation.request import GenerationRequest
from persona.ingest import read_files
from tests.browser import ROOT, free_port
from tests.fake_ollama import LIBRARY, Brain, BrainRequest, FakeOllama, SchemaBrain

MODEL = "smollm2:135m"
TARGETS = {8192: 1.20, 2048: 1.35}
"""Tokens evaluated / corpus, at :data:`TARGET_FACTOR` × the model's context."""
TARGET_FACTOR = 5
SERVER_START_S = 180.0
CACHE_BYTES = 1 << 30

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


Files = list[tuple[str, bytes]]


def study(target_tokens: int, seed: int = 0) -> Files:
    """Interviews (about 60% of the tokens) and a survey export, as a user's upload: the raw
    files' names and bytes."""
    rng = random.Random(seed)
    files: Files = []
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
    return files


# --- A brain with findings of a real model's size -----------------------------------------------

_QUESTION_MARK = re.compile(r"^[A-Z]{1,2}: ")
_SPEAKER = re.compile(r"^(?P<who>[A-Z][\w .'-]{0,30}):\s*(?P<said>.+)$")
_FINDING = re.compile(
    r"^- (?P<kind>[^|]*?) \| (?P<participant>[^|]*?) \| (?P<statement>.*?) \| "
    r"(?P<passages>(?:P[\d.]+ ?)+)$"
)
_LINE = re.compile(r"^(?P<id>P[\d.]+) (?P<text>.+)$")
_LIMIT = re.compile(r"list up to (\d+) distinct findings")
_MERGE = re.compile(r"merge the findings below into at most (\d+)")
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
        asked = _content(request.messages[1]) if len(request.messages) > 1 else ""
        limit = _LIMIT.search(asked)
        if limit:
            return self._findings(request.user_text, int(limit.group(1)))
        merge = _MERGE.search(asked)
        if merge:
            return self._merge(request.user_text, int(merge.group(1)))
        return self.schema(request)

    @staticmethod
    def _findings(text: str, limit: int) -> str:
        """Up to ``limit`` findings, as the prompt asks, each citing its passage."""
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


# --- Counting

_PROMPT_EVAL = re.compile(r"prompt eval time =\s*[\d.]+ ms /\s*(\d+) tokens")
_REMAINING = re.compile(r"prefix-match hit, remaining (\d+) prompt tokens to eval")
_PROMPT_MS = re.compile(r"prompt eval time =\s*([\d.]+) ms")


@dataclass(frozen=True)
class Evaluation:
    """What the real server made of one request."""

    prompt_tokens: int
    """The whole rendered prompt (chat template included), as the server counted it."""
    evaluated: int
    """Of which llama.cpp evaluated (the rest came from its cache)."""
    seconds: float
    """llama.cpp's own time for the prompt phase."""


class RealServer:
    """``python -m llama_cpp.server`` (through ``tests/llama_server.py`` for the AMX-safe
    loading) serving the demo GGUF on a free local port, prompt cache on, verbose, so that it
    reports per request how many prompt tokens it evaluated."""

    def __init__(self, n_ctx: int) -> None:
        self.n_ctx = n_ctx
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._session = requests.Session()

    def start(self) -> RealServer:
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.llama_server",
                "--model",
                str(demo_model_path()),
                "--model_alias",
                MODEL,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--n_ctx",
                str(self.n_ctx),
                "--verbose",
                "true",
                "--cache",
                "true",
                "--cache_type",
                "ram",
                "--cache_size",
                str(CACHE_BYTES),
                "--interrupt_requests",
                "false",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._follow, daemon=True).start()
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit("llama_cpp.server did not start:\n" + "".join(self.lines[-20:]))
            try:
                if self._session.get(f"{self.url}/v1/models", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.5)

    def _follow(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            with self._lock:
                self.lines.append(line)

    def stop(self) -> None:
        self._session.close()
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def tokens(self, text: str) -> int:
        """``text``'s tokens by the server's own tokenizer (no special tokens added)."""
        reply = self._session.post(
            f"{self.url}/extras/tokenize", json={"input": text, "model": MODEL}, timeout=600
        )
        reply.raise_for_status()
        ids: list[int] = reply.json()["tokens"]
        return len(ids)

    def evaluate(self, messages: list[dict[str, Any]], schema: Any = None) -> Evaluation:
        """Send ``messages`` for one answer token; what the server evaluated for them."""
        with self._lock:
            mark = len(self.lines)
        body: dict[str, Any] = {
            "model": MODEL,
            "messages": messages,
            "max_tokens": 1,
            "temperature": 0,
        }
        if isinstance(schema, dict):
            body["response_format"] = {"type": "json_object", "schema": schema}
        reply = self._session.post(f"{self.url}/v1/chat/completions", json=body, timeout=3600)
        if reply.status_code != 200:
            raise SystemExit(f"llama_cpp.server refused a request: {reply.text[:500]}")
        prompt_tokens = int(reply.json()["usage"]["prompt_tokens"])
        deadline = time.monotonic() + 30
        while True:
            with self._lock:
                said = "".join(self.lines[mark:])
            if _PROMPT_EVAL.search(said) or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        reported = _PROMPT_EVAL.search(said)
        if reported is None:
            raise SystemExit("llama_cpp.server did not report its prompt evaluation:\n" + said)
        remaining = _REMAINING.search(said)
        # llama.cpp counts a lone token left to evaluate as generation, not prompt: the larger
        evaluated = max(int(reported[1]), int(remaining[1]) if remaining else 0)
        seconds = float(_PROMPT_MS.search(said)[1]) / 1000  # type: ignore[index]
        return Evaluation(prompt_tokens, evaluated, seconds)


@contextmanager
def real_server(n_ctx: int) -> Iterator[RealServer]:
    server = RealServer(n_ctx).start()
    try:
        yield server
    finally:
        server.stop()


class Replayed:
    """:class:`RealServer`'s counts without the server (``--replay``, see
    :mod:`bench.token_replay`): its tokenizer and chat template, and the longest prefix each
    request shares with what its cache holds; no prompt phase is timed."""

    def __init__(self) -> None:
        self.replay = Replay()

    def tokens(self, text: str) -> int:
        return self.replay.tokens(text)

    def evaluate(self, messages: list[dict[str, Any]], schema: Any = None) -> Evaluation:
        return Evaluation(*self.replay.evaluate(messages), seconds=0.0)


@contextmanager
def counter(n_ctx: int, replay: bool) -> Iterator[RealServer | Replayed]:
    """The real server, or its replay."""
    if replay:
        yield Replayed()
    else:
        with real_server(n_ctx) as server:
            yield server


@dataclass
class Tally:
    """One run: the corpus, and what the real server counted for every call."""

    corpus: int
    """The raw files' tokens, by the server's tokenizer."""
    context: int
    chunks: int = 0
    sent: int = 0
    """Tokens of every rendered prompt, as the server counted them."""
    estimated: int = 0
    """The same prompts by Persona's own estimate (what it plans with)."""
    evaluated: int = 0
    floor: int = 0
    """The chunks' data alone, framed as the model sees it, by the server's tokenizer."""
    framing: dict[str, tuple[int, int]] = field(default_factory=dict)
    """By type of file (``.md``, ``.csv``): (its data framed as the model sees it in the chunks,
    its raw files), by the server's tokenizer."""
    calls: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    """Tokens evaluated, by kind of call."""
    prompt_seconds: float = 0.0
    run_seconds: float = 0.0
    answers: int = 0
    """Tokens of answers put in the server's cache before a repair (generated in a real run)."""

    @property
    def ratio(self) -> float:
        return self.evaluated / self.corpus


def _kind(messages: list[dict[str, Any]]) -> str:
    asked = _content(messages[1]) if len(messages) > 1 else ""
    kind = "other"
    if _LIMIT.search(asked):
        kind = "findings"
    elif _MERGE.search(asked):
        kind = "merge"
    elif "from these findings" in asked:
        kind = "personas"
    elif "from this research data" in asked:
        kind = "personas (one call)"
    return kind + (" repair" if len(messages) > 2 else "")


class Recorded:
    """A brain that keeps every request and its answer, in the order asked (the run is at
    ``parallel`` 1, so in the order sent)."""

    def __init__(self, brain: Brain) -> None:
        self.brain = brain
        self.calls: list[tuple[BrainRequest, str]] = []

    def __call__(self, request: BrainRequest) -> str:
        answer = self.brain(request)
        self.calls.append((request, answer))
        return answer


def _shows_answer(messages: list[dict[str, Any]], later: list[dict[str, Any]]) -> bool:
    """Whether ``later`` (a repair) repeats ``messages`` and then the answer to them."""
    size = len(messages)
    return len(later) > size and later[:size] == messages and later[size]["role"] == "assistant"


def measure(
    factor: float,
    context: int,
    brain: str = "realistic",
    count: int = 3,
    seed: int = 0,
    replay: bool = False,
) -> Tally:
    """Run the real generation on a study ``factor`` × ``context``, then every call of it on
    a fresh real server; count what it evaluated."""
    files = study(int(factor * context), seed)
    reading = read_files(files)
    if reading.failed:
        raise SystemExit(f"the generated study did not read: {reading.failed[0].error}")
    spec = replace(LIBRARY[MODEL], context_length=context)
    started = time.perf_counter()
    recorded = Recorded(BRAINS[brain]())
    with FakeOllama(models=[spec], brain=recorded, chunk_chars=256) as fake:
        client = OllamaClient(fake.url)
        request = GenerationRequest(model=MODEL, count=count, temperature=0, seed=seed)
        generation = Generation(OllamaEngine(client), reading.passages, request)
        for _ in generation.events():
            pass
        client.close()
        if len(fake.log("/api/chat")) != len(recorded.calls):
            raise SystemExit("the fake's log and the brain's calls differ: run at parallel 1")
    run_seconds = time.perf_counter() - started
    with counter(max(2 * context, 8192), replay) as server:
        tally = Tally(
            corpus=sum(server.tokens(raw.decode("utf-8-sig")) for _, raw in files),
            context=context,
            chunks=len(generation.plan.chunks),
            run_seconds=run_seconds,
        )
        tally.floor = sum(server.tokens(format_data(c)) for c in generation.plan.chunks)
        for suffix in sorted({name.rsplit(".", 1)[-1] for name, _ in files}):
            framed = sum(
                server.tokens(format_data(own))
                for c in generation.plan.chunks
                if (own := [p for p in c if p.source.endswith(f".{suffix}")])
            )
            raw = sum(server.tokens(b.decode("utf-8-sig")) for n, b in files if n.endswith(suffix))
            tally.framing[f".{suffix}"] = (framed, raw)
        calls = recorded.calls
        for n, (asked, answer) in enumerate(calls):
            messages = asked.messages
            print(f"  call {n + 1} of {len(calls)} on the server…", end="\r", file=sys.stderr)
            result = server.evaluate(messages, asked.format)
            kind = _kind(messages)
            tally.calls[kind] += 1
            tally.by_kind[kind] += result.evaluated
            tally.sent += result.prompt_tokens
            tally.evaluated += result.evaluated
            tally.prompt_seconds += result.seconds
            tally.estimated += sum(estimate_tokens(_content(m)) for m in messages)
            later = calls[n + 1][0].messages if n + 1 < len(calls) else []
            if _shows_answer(messages, later):
                shown = server.evaluate([*messages, {"role": "assistant", "content": answer}])
                tally.answers += shown.evaluated
    return tally


def report(factor: float, tally: Tally) -> None:
    context, corpus = tally.context, tally.corpus
    target = TARGETS.get(context)
    verdict = ""
    if factor == TARGET_FACTOR and target is not None:
        verdict = f"  (target ≤ {target:.2f}: {'OK' if tally.ratio <= target else 'ABOVE TARGET'})"
    calls = ", ".join(f"{n} {kind}" for kind, n in sorted(tally.calls.items()))
    print(
        f"\n{factor:g}× the context, {context:,}-token model: corpus {corpus:,} tokens (raw "
        f"files, server's tokenizer; {corpus / context:.2f}× the context), {tally.chunks} chunks"
    )
    print(f"  calls: {sum(tally.calls.values())} ({calls}); run {tally.run_seconds:.1f} s")
    print(f"  tokens evaluated: {tally.evaluated:,} = {tally.ratio:.3f}× the corpus{verdict}")
    print(
        f"  tokens sent: {tally.sent:,} = {tally.sent / corpus:.3f}× the corpus "
        f"(Persona's estimate: {tally.estimated:,})"
    )
    print(f"  floor (the chunks' data alone, framed): {tally.floor / corpus:.3f}× the corpus")
    framing = "; ".join(
        f"{kind} files {framed / raw:.3f}× their raw text"
        for kind, (framed, raw) in tally.framing.items()
    )
    print(f"    the data as the model sees it, by type of file: {framing}")
    print(f"  prompt phase on the server: {tally.prompt_seconds:.1f} s")
    if tally.answers:
        print(f"  (answers put in the cache before their repairs, not counted: {tally.answers:,})")
    for kind, tokens in sorted(tally.by_kind.items()):
        print(f"    evaluated for {kind:<26} {tokens:>8,}  {tokens / corpus:6.1%} of the corpus")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--factors", type=float, nargs="+", default=[TARGET_FACTOR])
    parser.add_argument("--contexts", type=int, nargs="+", default=list(TARGETS))
    parser.add_argument("--brain", choices=sorted(BRAINS), default="realistic", help="fake model")
    parser.add_argument("--count", type=int, default=3, help="personas asked for")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--replay",
        action="store_true",
        help="count with the server's tokenizer and chat template in this process, each call "
        "after the longest prefix it shares with an earlier one, instead of running the server",
    )
    args = parser.parse_args(argv)
    print(
        f"Persona plans for {MODEL} (fake Ollama, {args.brain} brain); every call is then "
        + (
            f"replayed with llama_cpp.server's tokenizer and chat template for "
            f"{demo_model_path().name}, prompt cache as the server keeps it (no server run)."
            if args.replay
            else f"evaluated by llama_cpp.server on {demo_model_path().name}, prompt cache on."
        )
    )
    summary = []
    for context in args.contexts:
        for factor in args.factors:
            tally = measure(factor, context, args.brain, args.count, args.seed, args.replay)
            report(factor, tally)
            summary.append(
                f"{context}/{factor:g}×: evaluated {tally.ratio:.3f}, sent "
                f"{tally.sent / tally.corpus:.3f}, floor {tally.floor / tally.corpus:.3f}"
            )
    targets = ", ".join(f"≤ {t:.2f} at {c:,}" for c, t in TARGETS.items())
    print(f"\ntokens / corpus (targets for evaluated: {targets}, at {TARGET_FACTOR}×):")
    for line in summary:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
