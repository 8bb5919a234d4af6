"""Overhead of `OllamaClient.generate_stream` against a bare `requests` loop on one local server.

Run from the repository root: ``python -m bench.client_overhead [--chunks 4000] [--repeats 15]``.
Starts the fake Ollama server (``tests/fake_ollama.py``) in a subprocess, so that it does not
compete with the client for the GIL, with a brain that streams ``--chunks`` NDJSON lines. Then
times, interleaved, the same streamed ``/api/generate`` read two ways:

- *bare*: ``session.post(..., stream=True)``, ``iter_lines()`` and ``json.loads`` per line;
- *client*: ``OllamaClient(url).generate_stream(...)``, keeping ``chunk.response``.

Prints median and minimum wall time of each, chunks per run, and the ratio client / bare of the
medians (target ≤ 1.02). The client process's CPU time is printed too: the server sets the pace
of the wall time, the CPU time shows what the client itself costs per chunk. ``--profile``
adds a cProfile of the client's loop.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from persona.ollama import OllamaClient

MODEL = "llama3.2:3b"
PROMPT = "Say x many times."
TARGET = 1.02
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Timing:
    """Wall and CPU seconds of one streamed read, and what it read."""

    wall: float
    cpu: float
    chunks: int
    text: str


def bare_loop(session: requests.Session, url: str) -> tuple[int, str]:
    """The baseline: requests' own line iterator and ``json.loads`` per line."""
    parts: list[str] = []
    chunks = 0
    body = {"model": MODEL, "prompt": PROMPT, "stream": True}
    with session.post(url + "/api/generate", json=body, stream=True) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if line:
                data = json.loads(line)
                parts.append(data.get("response", ""))
                chunks += 1
    return chunks, "".join(parts)


def client_loop(client: OllamaClient) -> tuple[int, str]:
    """What Persona does: the typed client, one pydantic chunk per line."""
    parts: list[str] = []
    chunks = 0
    for chunk in client.generate_stream(MODEL, PROMPT):
        parts.append(chunk.response)
        chunks += 1
    return chunks, "".join(parts)


def timed(loop: Callable[[], tuple[int, str]]) -> Timing:
    """Run one loop, measuring wall time and this process's CPU time."""
    cpu, wall = time.process_time(), time.perf_counter()
    chunks, text = loop()
    return Timing(time.perf_counter() - wall, time.process_time() - cpu, chunks, text)


@contextmanager
def server(chunks: int, chunk_chars: int, in_process: bool) -> Iterator[str]:
    """A fake Ollama streaming ``chunks`` lines per answer; yields its URL."""
    text = "x" * (chunks * chunk_chars)
    if in_process:
        from tests.fake_ollama import FakeOllama, constant_brain

        with FakeOllama(brain=constant_brain(text), chunk_chars=chunk_chars) as fake:
            yield fake.url
        return
    command = [
        sys.executable,
        "-m",
        "bench.client_overhead",
        "--serve",
        "--chunks",
        str(chunks),
        "--chunk-chars",
        str(chunk_chars),
    ]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("READY "):
            raise RuntimeError(f"the fake server did not start: {line!r}")
        yield line.split()[1]
    finally:
        process.terminate()
        process.wait(timeout=10)


def serve(chunks: int, chunk_chars: int) -> None:
    """Subprocess mode: serve until terminated, after printing ``READY <url>``."""
    import signal
    import threading

    from tests.fake_ollama import FakeOllama, constant_brain

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    brain = constant_brain("x" * (chunks * chunk_chars))
    with FakeOllama(brain=brain, chunk_chars=chunk_chars) as fake:
        print(f"READY {fake.url}", flush=True)
        stop.wait()


def describe(name: str, runs: list[Timing]) -> str:
    walls = [r.wall * 1000 for r in runs]
    cpus = [r.cpu * 1000 for r in runs]
    return (
        f"{name:<7} wall median {statistics.median(walls):8.1f} ms  min {min(walls):8.1f} ms   "
        f"cpu median {statistics.median(cpus):8.1f} ms  min {min(cpus):8.1f} ms"
    )


def profile_client(client: OllamaClient, runs: int = 3, top: int = 25) -> str:
    """cProfile of the client loop, by own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        client_loop(client)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=4000, help="chunks per answer (≥ 2000)")
    parser.add_argument("--chunk-chars", type=int, default=1, help="characters per chunk")
    parser.add_argument("--repeats", type=int, default=15, help="timed runs of each loop")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs of each loop")
    parser.add_argument("--in-process", action="store_true", help="serve from this process")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.chunks, args.chunk_chars)
        return 0

    with server(args.chunks, args.chunk_chars, args.in_process) as url:
        session = requests.Session()
        client = OllamaClient(url)
        loops: dict[str, Callable[[], tuple[int, str]]] = {
            "bare": lambda: bare_loop(session, url),
            "client": lambda: client_loop(client),
        }
        for _ in range(args.warmup):
            for loop in loops.values():
                loop()
        results: dict[str, list[Timing]] = {name: [] for name in loops}
        for index in range(args.repeats):
            order = list(loops) if index % 2 == 0 else list(reversed(loops))
            for name in order:
                results[name].append(timed(loops[name]))
        profile = profile_client(client) if args.profile else ""
        session.close()
        client.close()

    bare, ours = results["bare"], results["client"]
    if {r.text for r in bare + ours} != {bare[0].text}:
        raise SystemExit("the two loops did not read the same text")
    chunks = ours[0].chunks  # content chunks plus the final done chunk
    median = statistics.median
    wall_ratio = median(r.wall for r in ours) / median(r.wall for r in bare)
    min_ratio = min(r.wall for r in ours) / min(r.wall for r in bare)
    paired = median(c.wall / b.wall for c, b in zip(ours, bare, strict=True))
    cpu_ratio = median(r.cpu for r in ours) / median(r.cpu for r in bare)
    extra = (median(r.cpu for r in ours) - median(r.cpu for r in bare)) / chunks
    where = "in-process" if args.in_process else "subprocess"
    print(
        f"Streamed /api/generate: {chunks} chunks per run ({args.chunk_chars} char each), "
        f"{args.repeats} interleaved runs each, fake server in a {where}."
    )
    print(describe("bare", bare))
    print(describe("client", ours))
    verdict = "OK" if wall_ratio <= TARGET else "ABOVE TARGET"
    print(f"ratio client/bare, median wall: {wall_ratio:.3f}  (target ≤ {TARGET}: {verdict})")
    print(f"ratio client/bare, min wall: {min_ratio:.3f}; median of paired runs: {paired:.3f}")
    print(
        f"ratio client/bare, median client CPU: {cpu_ratio:.3f} "
        f"({extra * 1e6:+.2f} µs of client CPU per chunk)"
    )
    if profile:
        print("\ncProfile of the client loop (3 runs, by own time):")
        print(profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
