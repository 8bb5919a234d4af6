"""Language detection: the detector's load time and memory, and the time to detect a study.

    python -m bench.language_detect

Builds lingua's detector for Persona's languages (``persona.generation.language``) in the
low-accuracy mode Persona uses and, for comparison, in the high-accuracy mode, each in a fresh
process, and prints load seconds, the process's peak memory, and the time to detect each sample
study (samples/, samples/languages/*).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STUDIES = [ROOT / "samples" / "interviews", *sorted((ROOT / "samples" / "languages").iterdir())]

_CHILD = """
import json, resource, sys, time
from lingua import LanguageDetectorBuilder
from persona.generation import language
from persona.ingest import read_paths
low = sys.argv[1] == "low"
started = time.perf_counter()
builder = LanguageDetectorBuilder.from_languages(*language._CANDIDATES)
if low:
    builder = builder.with_low_accuracy_mode()
detector = builder.with_preloaded_language_models().build()
load = time.perf_counter() - started
detections = {}
for folder in sys.argv[2:]:
    text = language.sample(read_paths([folder]).passages)
    started = time.perf_counter()
    found = detector.detect_language_of(text)
    detections[folder] = [found.name.title() if found else None, time.perf_counter() - started]
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"load": load, "peak_mb": peak, "detections": detections}))
"""


def measure(mode: str) -> dict[str, object]:
    output = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, *map(str, STUDIES)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    result: dict[str, object] = json.loads(output)
    return result


def main() -> None:
    for mode in ("low", "high"):
        result = measure(mode)
        used = " (what Persona uses)" if mode == "low" else ""
        print(f"== {mode}-accuracy mode{used}")
        print(f"load {result['load']:.2f} s, peak memory {result['peak_mb']:.0f} MB")
        detections = result["detections"]
        assert isinstance(detections, dict)
        for folder, (found, seconds) in detections.items():
            print(f"  {Path(folder).name:12} {found or 'not detected':10} {seconds * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
