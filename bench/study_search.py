"""A study of many interviews: adding, reading again (cached) and full-text search.

    python -m bench.study_search [--files 200] [--lines 100] [--queries 30]

Builds ``--files`` interview transcripts of ``--lines`` answers each (words with and without
accents) in a temporary data folder, adds them to a study, then measures:

- adding them (copy, read, index), once;
- reading the whole study cold and again (what a dashboard rerun costs: the cache);
- searching single words: time per search for the first 50 hits (what a page shows), and
  every hit against an independent count made from the raw files (lines whose words, accents
  and capitals ignored, include the word).

Targets: a cached read ≤ 10 % of a cold read; search p95 ≤ 100 ms (each word is in about a
third of the passages: thousands of hits ranked); hits equal to the raw count.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import unicodedata
from pathlib import Path

WORDS = (
    *("café", "crème", "naïve", "façade", "résumé", "jalapeño", "über", "señor", "zoë"),
    *("checkout", "basket", "delivery", "substitution", "refund", "app", "rota", "shift"),
    *("queue", "receipt", "morning", "evening", "weekly", "budget", "coupon", "driver"),
    *("parking", "trolley", "payment", "card"),
)


SHOWN = 50
"""Hits a page shows at once (the timed searches)."""


def fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def write_interviews(folder: Path, files: int, lines: int, rng: random.Random) -> None:
    for number in range(files):
        text = [
            f"Participant {number}: " + " ".join(rng.choice(WORDS) for _ in range(12)) + "."
            for _ in range(lines)
        ]
        (folder / f"p{number:04d}.txt").write_text("\n".join(text) + "\n", encoding="utf-8")


def raw_count(folder: Path, word: str) -> int:
    """Lines of the raw files with ``word`` among their words (independent of Persona)."""
    wanted = fold(word)
    count = 0
    for path in folder.iterdir():
        for line in path.read_text(encoding="utf-8").splitlines():
            said = line.split(":", 1)[1] if ":" in line else line
            if wanted in {fold(w.strip(".,")) for w in said.split()}:
                count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--lines", type=int, default=100)
    parser.add_argument("--queries", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        os.environ["PERSONA_DATA_DIR"] = str(Path(temp) / "data")
        import persona
        from persona.studydata import reading as study_reading_module

        folder = Path(temp) / "interviews"
        folder.mkdir()
        rng = random.Random(7)
        write_interviews(folder, args.files, args.lines, rng)

        start = time.perf_counter()
        added = persona.add_to_study("Bench", [folder])
        add_s = time.perf_counter() - start
        assert len(added.added) == args.files and not added.failed

        study_reading_module._read_cached.cache_clear()
        start = time.perf_counter()
        cold = persona.study_reading("Bench")
        cold_s = time.perf_counter() - start
        start = time.perf_counter()
        warm = persona.study_reading("Bench")
        warm_s = time.perf_counter() - start
        assert warm.passages == cold.passages

        times: list[float] = []
        wrong = 0
        for word in rng.sample(WORDS, min(args.queries, len(WORDS))):
            start = time.perf_counter()
            persona.search_study("Bench", word, limit=SHOWN)  # what a page asks for
            times.append(time.perf_counter() - start)
            hits = persona.search_study("Bench", word, limit=10**9)
            expected = raw_count(folder, word)
            if len(hits) != expected:
                wrong += 1
                print(f"  {word!r}: {len(hits)} hits, the raw files have {expected}")
        times.sort()
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        passages = len(cold.passages)
        ratio = warm_s / cold_s if cold_s else 0.0
        print(f"study: {args.files} files, {passages:,} passages")
        print(f"add (copy, read, index): {add_s:.2f} s")
        print(f"read cold: {cold_s * 1000:.0f} ms; cached: {warm_s * 1000:.1f} ms")
        verdict = "PASS" if ratio <= 0.10 else "FAIL"
        print(f"TARGET cached read ≤ 10 % of cold: {ratio:.1%} -> {verdict}")
        print(
            f"search: median {statistics.median(times) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms "
            f"over {len(times)} words"
        )
        print(f"TARGET search p95 ≤ 100 ms: {'PASS' if p95 <= 0.100 else 'FAIL'}")
        print(
            f"TARGET hits equal the raw files' count: {len(times) - wrong}/{len(times)} -> "
            f"{'PASS' if not wrong else 'FAIL'}"
        )


if __name__ == "__main__":
    main()
