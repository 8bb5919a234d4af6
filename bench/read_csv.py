"""Time Persona's CSV reader against ``pandas.read_csv`` on a large survey export.

Run from the repository root: ``python -m bench.read_csv [--rows 50000]``. Writes a survey
CSV with several open-ended text columns to a temporary folder, reads it with each (best of
3) and prints both times and the ratio ours / pandas. Needs pandas (a test dependency).
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from persona.ingest import read_paths

COLUMNS = [
    "Respondent ID",
    "Name",
    "Email",
    "Age",
    "Country",
    "How often do you order groceries online?",
    "What is the hardest part of ordering groceries online?",
    "What would make you order more often?",
    "Anything else you want to tell us?",
    "Satisfaction (1-5)",
]
NAMES = ["José Núñez", "Zoë Müller", "Priya Nair", "Tom Becker", "Chloé Dubois", "Ana Ruiz"]
COUNTRIES = ["Spain", "Germany", "India", "United States", "France", "Mexico", "Canada"]
FREQUENCIES = ["Every week", "Twice a month", "Once a month", "Rarely"]
PHRASES = [
    "the delivery slots are always full in the evening",
    "substitutions are often wrong, and nobody asks me first",
    "I can't see the price per kilo on the phone app",
    "the fee is too high for small orders",
    "my kids have allergies, so I check every label",
    "I work night shifts and need early-morning deliveries",
    "the text is small and the buttons are close together",
    'I would love a "usual basket" I can edit in two minutes',
    "splitting the bill with my flatmates takes an hour",
    "frozen food arrived thawed when the driver was late",
    "support kept me on hold for twenty minutes",
    "a weekly budget with a running total would help a lot",
]


def answer(rng: random.Random, low: int, high: int) -> str:
    """One to several phrases, sometimes over two lines, about ``low``-``high`` characters."""
    parts: list[str] = []
    target = rng.randint(low, high)
    while sum(map(len, parts)) < target:
        parts.append(rng.choice(PHRASES))
    text = ". ".join(p[0].upper() + p[1:] for p in parts) + "."
    return text.replace(". ", ".\n", 1) if rng.random() < 0.05 else text


def write_survey(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for i in range(1, rows + 1):
            name = rng.choice(NAMES)
            writer.writerow(
                [
                    f"R{i:06d}",
                    name,
                    f"{name.split()[0].lower()}.{i}@example.com",
                    rng.randint(18, 80),
                    rng.choice(COUNTRIES),
                    rng.choice(FREQUENCIES),
                    answer(rng, 40, 400),
                    answer(rng, 30, 250),
                    "" if rng.random() < 0.4 else answer(rng, 20, 300),
                    rng.randint(1, 5),
                ]
            )


def best_of(runs: int, action: Callable[[], int]) -> tuple[float, int]:
    """The fastest of ``runs`` calls, in seconds, and the row count the last call gave."""
    times = []
    count = 0
    for _ in range(runs):
        start = time.perf_counter()
        count = action()
        times.append(time.perf_counter() - start)
    return min(times), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "survey.csv")
        write_survey(path, args.rows)
        size = path.stat().st_size
        ours, our_rows = best_of(
            args.runs, lambda: read_paths([path], max_bytes=size).reports[0].rows
        )
        theirs, their_rows = best_of(args.runs, lambda: len(pd.read_csv(path)))
    print(f"file:   {args.rows:,} rows, {size / 1e6:.1f} MB")
    print(f"ours:   {ours:.3f} s ({our_rows:,} rows)")
    print(f"pandas: {theirs:.3f} s ({their_rows:,} rows)")
    print(f"ratio:  {ours / theirs:.2f}x (ours / pandas)")


if __name__ == "__main__":
    main()
