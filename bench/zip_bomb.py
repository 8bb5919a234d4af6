"""How fast a zip-bomb .docx is refused, and how much memory refusing it takes.

    python -m bench.zip_bomb [--expanded-mb 400] [--repeats 20]

Builds a real .docx whose document part expands to ``--expanded-mb`` MB (about 1,000 times
its compressed size), reads it through Persona's reader as an upload would, and prints the
file size, the median refusal time and the peak memory Python allocated while refusing.
Target: refused in under 50 ms, with under 2x the file's size in extra memory (before this
check, a 2 MB bomb took 4.3 GB).
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

from persona.ingest import read_file
from tests.hostile_files import zip_bomb_docx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--expanded-mb", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    bomb = zip_bomb_docx(args.expanded_mb)
    timings = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        _, report = read_file("bomb.docx", bomb)
        timings.append(time.perf_counter() - started)
        assert not report.ok and "would unpack to" in report.error, report
    tracemalloc.start()
    read_file("bomb.docx", bomb)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    median_ms = statistics.median(timings) * 1000
    print(f"bomb: {len(bomb) / 1e6:.2f} MB on disk, {args.expanded_mb} MB expanded")
    print(f"refused in {median_ms:.2f} ms (median of {args.repeats}), target < 50 ms")
    target = 2 * len(bomb) / 1e6
    print(f"peak extra memory while refusing: {peak / 1e6:.2f} MB, target < {target:.2f} MB")
    print(f"message: {report.error}")


if __name__ == "__main__":
    main()
