"""The whole run at 1 and at 4 requests at once: a chunked diary study on a 2k-context model.

Run from the repository root: ``python -m bench.parallel [--latency 1.5] [--slots 4]``.

A whole local run (read → plan → chunks → merges → persona calls → every persona checked and
saved to History), end to end, against the fake Ollama server (``tests/fake_ollama.py``)
serving a model with a 2,048-token context. The server behaves like one with ``--slots``
slots (``OLLAMA_NUM_PARALLEL``): a request past its slots waits for one (queueing), and each
request takes longer the more slots are busy (``--slowdown`` per other busy slot: batched
decoding shares the hardware), so sending more at once is not free. The times are measured
by the clock around the run; the server's own log counts the requests it served and the most
it served at once, against the run's count of calls.

Targets: the whole run ≥ 2.0× faster at parallel 4 than at 1, the same personas for the
same seed, and the first persona shown (saved in History) before the run ends.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from persona.engines.ollama import OllamaClient
from persona.engines.ollama.engine import OllamaEngine
from persona.generation.pipeline import SavedGeneration
from persona.generation.request import GenerationRequest
from persona.history.store import Store
from persona.ingest import Reading, read_files
from tests.fake_ollama import LIBRARY, BrainRequest, FakeOllama
from tests.fakes import ScriptedEngine

MODEL = "diary-2k"
CONTEXT = 2048
ENTRIES = 220
COUNT = 3
TARGET = 2.0


class SlottedBrain:
    """A tidy model behind a server with ``slots`` slots: a request past them waits for one;
    a request takes ``latency`` × (1 + ``slowdown`` × the other busy slots).

    The answers are :class:`tests.fakes.ScriptedEngine`'s: findings cite the passages shown,
    personas cite their findings' passages with claims in their words (usable under every
    check), who they are chosen by the passages given — so two persona calls at once may
    still write the same person, and are then asked again (``same_people``: every call
    writes the first person it is not told of, the worst case for calls at once).
    """

    def __init__(self, latency: float, slots: int, slowdown: float, same_people: bool) -> None:
        self.latency = latency
        self.slowdown = slowdown
        self._slots = threading.Semaphore(slots)
        self._lock = threading.Lock()
        self._busy = 0
        self.peak = 0
        self.brain = ScriptedEngine(same_people=same_people)

    def __call__(self, request: BrainRequest) -> str:
        with self._slots:
            with self._lock:
                self._busy += 1
                busy = self._busy
                self.peak = max(self.peak, busy)
            try:
                time.sleep(self.latency * (1 + self.slowdown * (busy - 1)))
            finally:
                with self._lock:
                    self._busy -= 1
            return self.brain.answer(request.user_text, request.format or {})


GROUPS = (
    ("bike", "dock", "helmet", "rain", "lock", "saddle"),
    ("train", "platform", "ticket", "delay", "seat", "timetable"),
    ("app", "price", "map", "battery", "alert", "refund"),
)
"""What each group of participants writes about (a persona per group is there to find)."""


def diary(entries: int) -> bytes:
    """A diary study: one entry per line from twelve participants in three groups, each
    group with its own concerns."""
    lines = []
    for i in range(1, entries + 1):
        who = i % 12
        words = GROUPS[who % 3]
        lines.append(
            f"D{who}: on day {i} the {words[i % 6]} made my commute "
            f"{'slower' if i % 2 else 'easier'}, and I noted how the {words[(i * 5) % 6]} "
            f"felt after {i % 7 + 1} stops, so I {'changed' if i % 3 else 'kept'} my plan."
        )
    return "\n".join(lines).encode()


@dataclass
class Timing:
    wall: float
    first_persona: float | None
    saved_before_end: bool
    calls: int
    planned: int
    served: int
    personas: list[dict]
    usable: int
    describe: str


def measure(url: str, reading: Reading, parallel: int, history: Path) -> Timing:
    """One whole run at ``parallel``, saved to a History in ``history``."""
    request = GenerationRequest(model=MODEL, count=COUNT, seed=7, temperature=0, parallel=parallel)
    store = Store(history / f"parallel-{parallel}.sqlite3")
    with OllamaClient(url) as client:
        saved = SavedGeneration(OllamaEngine(client), reading, request, store)
        first: float | None = None
        in_history = False
        started = time.perf_counter()
        for event in saved.events():
            if event.persona is not None and first is None:
                first = time.perf_counter() - started
                in_history = bool(store.get(saved.run.id).records)
        wall = time.perf_counter() - started
    personas = [p.model_dump() for p in saved.run.personas]
    usable = sum(not p.unusable for p in saved.run.personas)
    result = saved.generation.result
    plan = saved.generation.plan
    return Timing(
        wall, first, in_history, result.calls, plan.calls, 0, personas, usable, plan.describe()
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=1.5, help="seconds per request")
    parser.add_argument("--slots", type=int, default=4, help="requests the server serves at once")
    parser.add_argument(
        "--slowdown", type=float, default=0.0, help="extra time per request per other busy slot"
    )
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument(
        "--same-people",
        action="store_true",
        help="the model writes the same person in every call it is not told of the others",
    )
    args = parser.parse_args(argv)
    spec = replace(LIBRARY["smollm2:135m"], name=MODEL, context_length=CONTEXT)
    reading = read_files([("diary.md", diary(ENTRIES))])
    runs: dict[int, Timing] = {}
    peaks: dict[int, int] = {}
    with tempfile.TemporaryDirectory() as history:
        for parallel in (1, args.parallel):
            brain = SlottedBrain(args.latency, args.slots, args.slowdown, args.same_people)
            with FakeOllama(models=[spec], brain=brain, chunk_chars=512) as fake:
                timing = measure(fake.url, reading, parallel, Path(history))
                timing.served = len(fake.log("/api/chat"))
            runs[parallel], peaks[parallel] = timing, brain.peak
    one, many = runs[1], runs[args.parallel]
    speedup = one.wall / many.wall
    same = one.personas == many.personas
    print(
        f"{ENTRIES}-entry diary study, {COUNT} personas, {CONTEXT:,}-token model; server: "
        f"{args.slots} slots, {args.latency:.2f} s per request (+{args.slowdown:.0%} per other "
        "busy slot, queued past the slots)"
    )
    print(f"plan: {one.describe}")
    for parallel, timing in runs.items():
        first = f"{timing.first_persona:.2f} s" if timing.first_persona is not None else "none"
        print(
            f"parallel {parallel}: whole run {timing.wall:.2f} s; first persona at {first} "
            f"({(timing.first_persona or 0) / timing.wall:.0%} of the run, "
            f"{'in History then' if timing.saved_before_end else 'NOT in History then'}); "
            f"{timing.calls} calls ({timing.planned} planned, the rest repairs and personas "
            f"asked for again), {timing.served} served by the server, at most "
            f"{peaks[parallel]} at once; {timing.usable} usable personas of {len(timing.personas)}"
        )
    verdict = "OK" if speedup >= TARGET else "BELOW TARGET"
    print(f"speedup, whole run: {speedup:.2f}× (target ≥ {TARGET}×: {verdict})")
    print(f"same personas for the same seed: {'yes' if same else 'NO'}")
    counted = all(t.calls == t.served for t in runs.values())
    if not counted:
        print("the run's count of calls differs from the server's: CHECK")
    first_ok = all(
        t.first_persona is not None and t.first_persona < t.wall and t.saved_before_end
        for t in runs.values()
    )
    usable = all(t.usable == COUNT for t in runs.values())
    return 0 if same and counted and first_ok and usable and speedup >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
