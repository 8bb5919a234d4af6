"""Parallel chunk calls: the same 16-chunk study with 1 and with 4 requests at once.

Run from the repository root: ``python -m bench.parallel [--latency 0.3] [--slots 4]``.
The fake Ollama server (``tests/fake_ollama.py``) answers with its deterministic schema brain
after a fixed latency per request, serving at most ``--slots`` requests at a time (like
``OLLAMA_NUM_PARALLEL``). Targets: speedup ≥ 3.4× at parallel 4, and the same personas for the
same seed. The persona call after the chunks cannot be parallel, so with a fixed latency per
call the whole run's speedup is at most 17 / (4 waves + 1) = 3.4×: the bench prints that
ceiling, the wall-time speedup and the speedup of the chunk phase (the target's verdict).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time

from persona.core.documents import Passage
from persona.engines.ollama import OllamaClient
from persona.engines.ollama.engine import OllamaEngine
from persona.generation.generate import Generation, GenerationRequest
from tests.fake_ollama import BrainRequest, FakeOllama, SchemaBrain

MODEL = "smollm2:135m"
CHUNKS = 16
TARGET = 3.4


class SlowBrain:
    """The schema brain behind ``slots`` concurrent slots, each answer taking ``latency`` s."""

    def __init__(self, latency: float, slots: int) -> None:
        self.latency = latency
        self.slots = threading.Semaphore(slots)
        self.brain = SchemaBrain()

    def __call__(self, request: BrainRequest) -> str:
        with self.slots:
            time.sleep(self.latency)
            return self.brain(request)


def study(lines: int) -> list[Passage]:
    topics = ["bike", "dock", "train", "rain", "app", "price", "helmet", "station", "map"]
    return [
        Passage(
            f"diary-{i % 4}.md",
            f"line {i}",
            f"D{i % 12}: on day {i} the {topics[i % 9]} made my commute "
            f"{'slower' if i % 2 else 'easier'}, and I noted how the {topics[(i * 5) % 9]} "
            f"felt after {i % 7 + 1} stops.",
            f"P{i}",
            f"D{i % 12}",
        )
        for i in range(1, lines + 1)
    ]


def sized_study(url: str) -> list[Passage]:
    """A study that the planner splits into exactly :data:`CHUNKS` chunks."""
    with OllamaClient(url) as client:
        engine = OllamaEngine(client)
        lines = 400
        while True:
            passages = study(lines)
            chunks = len(Generation(engine, passages, request(1)).plan.chunks)
            if chunks == CHUNKS:
                return passages
            lines = int(lines * CHUNKS / max(chunks, 1)) + (1 if chunks < CHUNKS else -1)


def request(parallel: int) -> GenerationRequest:
    return GenerationRequest(model=MODEL, count=2, seed=7, temperature=0, parallel=parallel)


def measure(url: str, passages: list[Passage], parallel: int) -> tuple[float, float, list, int]:
    """(wall seconds, map-phase seconds, personas, calls) of one run."""
    with OllamaClient(url) as client:
        generation = Generation(OllamaEngine(client), passages, request(parallel))
        started = time.perf_counter()
        mapped = 0.0
        for event in generation.events():
            if event.message.startswith("Read part"):
                mapped = time.perf_counter() - started
        wall = time.perf_counter() - started
    personas = [p.model_dump() for p in generation.result.personas]
    return wall, mapped, personas, generation.result.calls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=1.0, help="seconds per request")
    parser.add_argument("--slots", type=int, default=4, help="requests the server serves at once")
    parser.add_argument("--parallel", type=int, default=4)
    args = parser.parse_args(argv)
    brain = SlowBrain(args.latency, args.slots)
    with FakeOllama(models=[MODEL], brain=brain, chunk_chars=512) as fake:
        brain.latency = 0.0
        passages = sized_study(fake.url)
        brain.latency = args.latency
        one = measure(fake.url, passages, 1)
        many = measure(fake.url, passages, args.parallel)
    speedup, map_speedup = one[0] / many[0], one[1] / many[1]
    waves = -(-CHUNKS // min(args.parallel, args.slots))
    ceiling = one[3] / (waves + one[3] - CHUNKS)
    same = one[2] == many[2]
    print(
        f"{CHUNKS}-chunk study, {len(passages)} passages; server: {args.slots} slots, "
        f"{args.latency:.2f} s per request"
    )
    print(f"parallel 1: {one[0]:.2f} s ({one[1]:.2f} s reading chunks), {one[3]} calls")
    print(
        f"parallel {args.parallel}: {many[0]:.2f} s ({many[1]:.2f} s reading chunks), "
        f"{many[3]} calls"
    )
    print(
        f"speedup: {speedup:.2f}× wall time (ceiling with a fixed latency per call: "
        f"{ceiling:.2f}×), {map_speedup:.2f}× for the chunks "
        f"(target ≥ {TARGET}×: {'OK' if map_speedup >= TARGET else 'BELOW TARGET'})"
    )
    print(f"same personas for the same seed: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
