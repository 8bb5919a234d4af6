"""The sample study shipped inside the package (what "Try it with a sample study" loads)."""

from __future__ import annotations

from pathlib import Path

from persona import api
from persona.ingest.sample import sample_files

ROOT = Path(__file__).resolve().parents[1]


def test_the_shipped_sample_is_the_documented_one() -> None:
    documented = sorted((ROOT / "samples" / "interviews").iterdir())
    assert sample_files() == [(p.name, p.read_bytes()) for p in documented]


def test_the_sample_reads_as_three_interviews() -> None:
    reading = api.read_sample()
    assert reading.ok_count == len(reading.reports) == 3
    speakers = {p.participant for p in reading.passages if p.citable}
    assert {"Maria", "Tom", "Priya"} <= {s.split()[0] for s in speakers if s}


def test_the_sample_is_package_data() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"samples/interviews/*"' in pyproject.split("[tool.setuptools.package-data]")[1]
