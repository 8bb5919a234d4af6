"""Coverage and distinctness of a run, as exports carry them (JSON fields, Markdown, CSV)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from persona.core.coverage import Coverage, coverage
from persona.core.overlap import Distinctness, distinctness
from persona.core.records import Run
from persona.history.headings import run_headings


def measures(run: Run) -> tuple[Coverage, Distinctness]:
    """Who each persona of ``run`` represents, and how alike its personas are."""
    cover = coverage(run.personas, run.speakers)
    return cover, distinctness(run.personas, cover)


def report_json(run: Run) -> dict[str, Any]:
    """``coverage`` and ``distinctness`` fields for the JSON export."""
    cover, distinct = measures(run)
    return {
        "coverage": {
            "summary": cover.summary,
            "participants": list(cover.participants),
            "not_represented": list(cover.missing),
            "personas": [
                {
                    "name": name,
                    "represents": list(cover.represented(i)),
                    "share": _rounded(cover.share(i)),
                    "cited_passages": dict(cover.cited[i]),
                }
                for i, name in enumerate(cover.personas)
            ],
        },
        "distinctness": {
            "summary": distinct.summary,
            "pairs": [
                {
                    "personas": [distinct.personas[p.first], distinct.personas[p.second]],
                    "similarity": p.similarity,
                    "shared_participants": list(p.shared),
                    "too_alike": p.too_alike,
                }
                for p in distinct.pairs
            ],
        },
    }


def report_markdown(run: Run, inline: Callable[[str], str]) -> list[str]:
    """The Markdown sections on coverage and distinctness; ``inline`` makes text one line."""
    cover, distinct = measures(run)
    h = run_headings(run)

    def cell(text: str) -> str:
        return inline(text).replace("|", "/")

    lines = ["", f"## {h.coverage}", "", inline(cover.summary)]
    if cover.known and cover.counted:
        names = [cell(cover.personas[i]) for i in cover.counted]
        lines += ["", "| Participant | " + " | ".join(names) + " |"]
        lines.append("|---|" + "---:|" * len(names))
        for participant in cover.participants:
            counts = [str(cover.cited[i].get(participant, 0) or "") for i in cover.counted]
            lines.append(
                f"| {inline(participant).replace('|', '/')} | " + " | ".join(counts) + " |"
            )
        lines.append(
            "| **Share of the study** | "
            + " | ".join(cover.share_text(i) for i in cover.counted)
            + " |"
        )
    lines += ["", f"## {h.distinctness}", "", inline(distinct.summary)]
    if distinct.pairs:
        lines += [
            "",
            "| Personas | Similarity | Shared participants | Too alike |",
            "|---|---:|---:|---|",
        ]
        for p in distinct.pairs:
            pair = f"{distinct.personas[p.first]} · {distinct.personas[p.second]}"
            alike = "⚠ yes" if p.too_alike else "no"
            lines.append(f"| {cell(pair)} | {p.similarity:.0f}% | {len(p.shared)} | {alike} |")
    return lines


def persona_columns(run: Run) -> list[tuple[str, str]]:
    """Per persona of ``run``: (participants it represents, its share of the study)."""
    cover, _ = measures(run)
    if not cover.known:
        return [("", "")] * len(cover.personas)
    return [
        ("; ".join(cover.represented(i)), cover.share_text(i)) for i in range(len(cover.personas))
    ]


def _rounded(share: float | None) -> float | None:
    return None if share is None else round(share, 3)
