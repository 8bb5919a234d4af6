"""Evidence verification speed: 300 quotes against 50,000 passages.

    python -m bench.evidence_speed

A third of the quotes are exact, a third have one changed character (a typo or a changed
digit: never "found"), a third are invented. Prints the time to build the index, to look up
every quote, and how many were found. It checks the index against the raw passages (a plain
substring search over the normalised texts, independent of the index's postings): a lookup
that disagrees is counted and printed.
"""

from __future__ import annotations

import random
import time

from persona.core.documents import Passage
from persona.generation.evidence import EvidenceIndex, normalize

COMMON = [
    "the",
    "and",
    "to",
    "of",
    "a",
    "I",
    "it",
    "is",
    "in",
    "that",
    "for",
    "on",
    "my",
    "with",
    "was",
    "we",
]
RARE = [f"word{n}" for n in range(5000)]


def main() -> None:
    rng = random.Random(7)
    passages = [
        Passage(
            f"file{n // 1000}.csv",
            f"row {n % 1000 + 2}",
            " ".join(rng.choice(COMMON if rng.random() < 0.5 else RARE) for _ in range(16)),
        )
        for n in range(50_000)
    ]
    quotes = []
    for n in range(300):
        words = rng.choice(passages).text.split()[2:12]
        if n % 3 == 1:
            words[4] += "x"
        elif n % 3 == 2:
            words = [rng.choice(COMMON + RARE) for _ in range(10)]
        quotes.append(" ".join(words))
    started = time.perf_counter()
    index = EvidenceIndex(passages)
    built = time.perf_counter()
    matches = [index.find(q) for q in quotes]
    done = time.perf_counter()
    found = [m is not None for m in matches]
    haystack = [f" {normalize(p.text)} " for p in passages]
    needles = [f" {normalize(q)} " for q in quotes]
    truth = [any(needle in text for text in haystack) for needle in needles]
    checked = time.perf_counter()
    print(f"index of {len(passages):,} passages: {built - started:.2f} s")
    print(
        f"{len(quotes)} look-ups: {done - built:.2f} s "
        f"({(done - built) / len(quotes) * 1e3:.1f} ms each)"
    )
    print(
        f"found: exact {sum(found[0::3])}/100, one character changed {sum(found[1::3])}/100, "
        f"invented {sum(found[2::3])}/100"
    )
    wrong = sum(f != t for f, t in zip(found, truth, strict=True))
    print(
        f"disagreements with a plain scan of the raw passages: {wrong} "
        f"(the scan took {checked - done:.2f} s)"
    )


if __name__ == "__main__":
    main()
