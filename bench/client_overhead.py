"""Overhead of `OllamaClient.chat_stream` against a bare `requests` loop on one local server.

Run from the repository root: ``python -m bench.client_overhead [--chunks 4000] [--repeats 15]``.
The server runs in a subprocess, so that it does not compete with the client for the GIL, and
streams ``--chunks`` NDJSON lines per ``/api/chat`` (one HTTP chunk per line, as Ollama
does). The same stream is then read, interleaved, two ways:

- *bare*: ``session.post(..., stream=True)``, ``iter_lines()`` and ``json.loads`` per line;
- *client*: ``OllamaClient(url).chat_stream(...)``, keeping ``chunk.message.content``.

Two servers (``--server``, both by default):

- ``fake``: the fake Ollama (``tests/fake_ollama.py``) with a constant brain: the realistic case,
  where the server sets the pace, as a model does;
- ``replay``: the same lines pre-rendered and written as fast as the socket takes them, so the
  client's own cost per chunk decides the time: the worst case for the ratio.

For each it prints median and minimum wall time of both loops, chunks per run, the ratio
client / bare of the median wall times (target ≤ 1.02), the ratio of the minima, the median of
the per-pair ratios, and the client process's CPU time. ``--profile`` adds a cProfile.
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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from persona.engines.ollama import OllamaClient

MODEL = "llama3.2:3b"
MESSAGES = [{"role": "user", "content": "Say x many times."}]
TARGET = 1.02
ROOT = Path(__file__).resolve().parent.parent
SERVERS = ("fake", "replay")


@dataclass
class Timing:
    """Wall and CPU seconds of one streamed read, and what it read."""

    wall: float
    cpu: float
    chunks: int
    text: str


# --- The two loops ------------------------------------------------------------------------------


def bare_loop(session: requests.Session, url: str) -> tuple[int, str]:
    """The baseline: requests' own line iterator and ``json.loads`` per line."""
    parts: list[str] = []
    chunks = 0
    body = {"model": MODEL, "messages": MESSAGES, "stream": True}
    with session.post(url + "/api/chat", json=body, stream=True) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if line:
                data = json.loads(line)
                parts.append(data.get("message", {}).get("content", ""))
                chunks += 1
    return chunks, "".join(parts)


def client_loop(client: OllamaClient) -> tuple[int, str]:
    """What Persona does: the typed client, one pydantic chunk per line."""
    parts: list[str] = []
    chunks = 0
    for chunk in client.chat_stream(MODEL, MESSAGES):
        parts.append(chunk.message.content)
        chunks += 1
    return chunks, "".join(parts)


def timed(loop: Callable[[], tuple[int, str]]) -> Timing:
    """Run one loop, measuring wall time and this process's CPU time."""
    cpu, wall = time.process_time(), time.perf_counter()
    chunks, text = loop()
    return Timing(time.perf_counter() - wall, time.process_time() - cpu, chunks, text)


# --- Servers ------------------------------------------------------------------------------------


def replay_lines(chunks: int, chunk_chars: int) -> list[bytes]:
    """An Ollama ``/api/chat`` stream, each line framed as one HTTP chunk."""
    created = "2025-01-01T09:00:00.123456789Z"
    lines = [
        {
            "model": MODEL,
            "created_at": created,
            "message": {"role": "assistant", "content": "x" * chunk_chars},
            "done": False,
        }
        for _ in range(chunks)
    ]
    lines.append(
        {
            "model": MODEL,
            "created_at": created,
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": "stop",
            "total_duration": 1_000_000,
            "prompt_eval_count": 5,
            "eval_count": chunks,
            "eval_duration": 900_000,
        }
    )
    framed = []
    for line in lines:
        data = json.dumps(line).encode() + b"\n"
        framed.append(b"%x\r\n%s\r\n" % (len(data), data))
    return framed


class _Replay(BaseHTTPRequestHandler):
    """Writes the pre-rendered stream, one ``send`` per line, for any POST."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    lines: tuple[bytes, ...] = ()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for framed in self.lines:
            self.wfile.write(framed)
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def serve(kind: str, chunks: int, chunk_chars: int) -> None:
    """Subprocess mode: serve until terminated, after printing ``READY <url>``."""
    import signal
    import threading

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if kind == "replay":
        _Replay.lines = tuple(replay_lines(chunks, chunk_chars))
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Replay)
        httpd.daemon_threads = True
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        print(f"READY http://127.0.0.1:{httpd.server_address[1]}", flush=True)
        stop.wait()
        httpd.shutdown()
        return
    from tests.fake_ollama import FakeOllama, constant_brain

    brain = constant_brain("x" * (chunks * chunk_chars))
    with FakeOllama(brain=brain, chunk_chars=chunk_chars) as fake:
        print(f"READY {fake.url}", flush=True)
        stop.wait()


@contextmanager
def server(kind: str, chunks: int, chunk_chars: int, in_process: bool) -> Iterator[str]:
    """A server streaming ``chunks`` lines per answer; yields its URL."""
    if in_process and kind == "fake":
        from tests.fake_ollama import FakeOllama, constant_brain

        brain = constant_brain("x" * (chunks * chunk_chars))
        with FakeOllama(brain=brain, chunk_chars=chunk_chars) as fake:
            yield fake.url
        return
    command = [sys.executable, "-m", "bench.client_overhead", "--serve", kind]
    command += ["--chunks", str(chunks), "--chunk-chars", str(chunk_chars)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("READY "):
            raise RuntimeError(f"the {kind} server did not start: {line!r}")
        yield line.split()[1]
    finally:
        process.terminate()
        process.wait(timeout=10)


# --- Measuring ----------------------------------------------------------------------------------


Results = dict[str, list[Timing]]


def measure(url: str, repeats: int, warmup: int, profile: bool) -> tuple[Results, str]:
    """Interleaved timed runs of both loops against ``url`` (and a profile of the client)."""
    session = requests.Session()
    client = OllamaClient(url)
    loops: dict[str, Callable[[], tuple[int, str]]] = {
        "bare": lambda: bare_loop(session, url),
        "client": lambda: client_loop(client),
    }
    for _ in range(warmup):
        for loop in loops.values():
            loop()
    results: dict[str, list[Timing]] = {name: [] for name in loops}
    for index in range(repeats):
        order = list(loops) if index % 2 == 0 else list(reversed(loops))
        for name in order:
            results[name].append(timed(loops[name]))
    text = profile_client(client) if profile else ""
    session.close()
    client.close()
    return results, text


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


def describe(name: str, runs: list[Timing]) -> str:
    walls = [r.wall * 1000 for r in runs]
    cpus = [r.cpu * 1000 for r in runs]
    return (
        f"  {name:<7} wall median {statistics.median(walls):7.1f} ms  min {min(walls):7.1f} ms"
        f"   cpu median {statistics.median(cpus):7.1f} ms  min {min(cpus):7.1f} ms"
    )


def report(kind: str, results: Results, args: argparse.Namespace) -> float:
    """Print one server's numbers; returns the ratio of median wall times."""
    bare, ours = results["bare"], results["client"]
    if {r.text for r in bare + ours} != {bare[0].text}:
        raise SystemExit("the two loops did not read the same text")
    median = statistics.median
    chunks = ours[0].chunks  # content chunks plus the final done chunk
    wall_ratio = median(r.wall for r in ours) / median(r.wall for r in bare)
    min_ratio = min(r.wall for r in ours) / min(r.wall for r in bare)
    paired = median(c.wall / b.wall for c, b in zip(ours, bare, strict=True))
    cpu_ratio = median(r.cpu for r in ours) / median(r.cpu for r in bare)
    extra = (median(r.cpu for r in ours) - median(r.cpu for r in bare)) / chunks
    where = "in this process" if args.in_process and kind == "fake" else "in a subprocess"
    print(
        f"\n{kind} server ({where}): {chunks} chunks per run of {args.chunk_chars} char(s), "
        f"{args.repeats} interleaved runs of each loop"
    )
    print(describe("bare", bare))
    print(describe("client", ours))
    verdict = "OK" if wall_ratio <= TARGET else "ABOVE TARGET"
    print(f"  ratio client/bare, median wall: {wall_ratio:.3f}  (target ≤ {TARGET}: {verdict})")
    print(f"  ratio client/bare, min wall: {min_ratio:.3f}; median of pairs: {paired:.3f}")
    print(
        f"  ratio client/bare, median client CPU: {cpu_ratio:.3f} "
        f"({extra * 1e6:+.2f} µs of client CPU per chunk)"
    )
    return wall_ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=4000, help="chunks per answer (≥ 2000)")
    parser.add_argument("--chunk-chars", type=int, default=1, help="characters per chunk")
    parser.add_argument("--repeats", type=int, default=15, help="timed runs of each loop")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs of each loop")
    parser.add_argument("--server", choices=[*SERVERS, "both"], default="both")
    parser.add_argument("--in-process", action="store_true", help="run the fake in this process")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile")
    parser.add_argument("--serve", choices=SERVERS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.chunks, args.chunk_chars)
        return 0

    kinds = SERVERS if args.server == "both" else (args.server,)
    ratios = {}
    for kind in kinds:
        with server(kind, args.chunks, args.chunk_chars, args.in_process) as url:
            results, profile = measure(url, args.repeats, args.warmup, args.profile)
        ratios[kind] = report(kind, results, args)
        if profile:
            print(f"\n  cProfile of the client loop, {kind} server (3 runs, by own time):")
            print(profile)
    summary = ", ".join(f"{kind} {ratio:.3f}" for kind, ratio in ratios.items())
    print(f"\nratio client/bare (median wall; target ≤ {TARGET}): {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
