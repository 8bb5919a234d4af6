"""Frontier dollars: the hybrid run against sending the whole study to Claude, per model.

    python -m bench.hybrid_tokens [--interviews 12] [--length 1] [--count 4] [--refine-all]

Drafts personas locally (fake Ollama, schema brain) from a generated study, then refines them
through the fake Messages API once per Claude model and per plan: each draft in a request of
its own with its passages (``separate``), every request sharing one prefix marked for the
prompt cache (``cached``), all drafts in one request with their passages once (``batched``),
and the plan Persona picks by its local estimate. Every plan's answers say only what changes;
an unusable draft goes with the problems Persona found, to have them repaired. Each plan's
line says how many drafts came back refined, and how many of those pass the checks.
Dollars come from the fake server's own ledger: what each answer's ``usage`` billed (uncached
input, cache writes, cache reads, output), by its own tokenizer, at list prices and
Anthropic's cache rates — not from Persona's meter or estimate.

Frontier-only is the request a cloud-only run would send — the persona instructions, every
passage, the by-reference output schema — counted by the same fake tokenizer, and an answer of
as many personas as the run drafts, each a whole persona as the fake's brain writes it for
that draft, or from an unusable draft's passages alone (a cloud-only run has no draft to change
or repair: its side is not shrunk).
Target: hybrid (the plan Persona picks) ≤ 0.35× frontier-only in dollars on the 12-interview
study, and never above frontier-only without the preview saying so (``costs_more``).
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from persona.core.records import Run
from persona.engines.ollama import OllamaClient
from persona.engines.ollama.engine import OllamaEngine
from persona.generation.pipeline import SavedGeneration
from persona.generation.prompts import SYSTEM, names_clause, personas_prompt
from persona.generation.references import DRAFT_SCHEMA, participant_names
from persona.generation.request import GenerationRequest
from persona.history.store import Store
from persona.hybrid.cloud import FrontierClient
from persona.hybrid.plans import SendPlan
from persona.hybrid.preview import Preview, PreviewItem, prepare
from persona.hybrid.refine import refine
from persona.ingest import Reading, read_paths
from tests.fake_anthropic import (
    LIST_PRICES,
    Bill,
    FakeAnthropic,
    answer_tokens,
    fake_token_count,
    improve,
)
from tests.fake_ollama import FakeOllama

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "interviews"
MODELS = ("claude-sonnet-4-5", "claude-sonnet-4-6", "claude-opus-4-6", "claude-haiku-4-5")
KINDS = ("input", "cache_writes", "cache_reads", "output")
TARGET = 0.35
KEY = "sk-ant-bench"


def study(folder: Path, interviews: int, length: int) -> None:
    """``interviews`` transcripts, each ``length`` sample transcripts long (renamed people)."""
    sources = sorted(SAMPLES.iterdir())
    for index in range(interviews):
        parts = [
            sources[(index + part) % len(sources)].read_text(encoding="utf-8")
            for part in range(length)
        ]
        text = "\n".join(parts).replace("Maria", f"Maria{index}").replace("Tom", f"Tom{index}")
        (folder / f"interview_{index + 1:02d}.md").write_text(text, encoding="utf-8")


@dataclass(frozen=True)
class Dollars:
    """Dollars by kind (:data:`KINDS`)."""

    by_kind: dict[str, float]

    @property
    def total(self) -> float:
        return sum(self.by_kind.values())

    def line(self) -> str:
        kinds = "  ".join(f"{kind} {self.by_kind.get(kind, 0.0):.4f}" for kind in KINDS)
        return f"${self.total:.4f}  ({kinds})"


def billed(bills: Sequence[Bill]) -> Dollars:
    """The fake's ledger in dollars."""
    return Dollars({kind: sum(b.usd()[kind] for b in bills) for kind in KINDS})


def fake_model(claude: FakeAnthropic, model: str) -> str:
    """The fake's id for ``model`` (its list prices are keyed by it)."""
    return next(m for m, _ in claude.models if model in (m, m.rsplit("-", 1)[0]))


def frontier_only(reading: Reading, count: int, model: str, answer_tokens: float) -> Dollars:
    """A cloud-only run: the whole study in, ``count`` personas out."""
    body = {
        "system": SYSTEM,
        "messages": [
            {
                "role": "user",
                "content": personas_prompt(
                    reading.passages,
                    count,
                    "",
                    names=names_clause(participant_names(reading.passages)),
                ),
            }
        ],
        "output_config": {"format": {"type": "json_schema", "schema": DRAFT_SCHEMA}},
    }
    into, out = LIST_PRICES[model]
    return Dollars(
        {
            "input": fake_token_count(body) * into / 1e6,
            "output": count * answer_tokens * out / 1e6,
        }
    )


def whole_answers(preview: Preview) -> int:
    """Output tokens of whole personas, one per draft, as the fake's brain writes them: the
    draft improved, or for an unusable draft a persona from its passages alone (a cloud-only
    run has no draft to repair)."""
    return sum(
        answer_tokens(improve(dict(item.data) if item.mode == "refine" else _passages(item)))
        for item in preview.items
    )


def _passages(item: PreviewItem) -> dict[str, Any]:
    return {"passages": item.data["passages"]}


def refine_with(
    run: Run,
    reading: Reading,
    store: Store,
    claude: FakeAnthropic,
    model: str,
    args: argparse.Namespace,
    plan: SendPlan | None,
) -> tuple[Preview, list[Bill], str]:
    """The preview, the fake's bills and how many drafts came back refined (and usable)."""
    claude.reset()
    preview = prepare(
        run,
        reading.documents,
        model=model,
        threshold=101 if args.refine_all else 75,
        refine_all=args.refine_all,
        plan=plan,
    )
    frontier = FrontierClient(KEY, base_url=claude.url, max_retries=0)
    for _ in refine(run, preview, frontier, store, consent=preview.consent):
        pass
    records = [run.records[item.index] for item in preview.selected]
    refined = [r.refined for r in records if r.refined is not None and not r.refine_error]
    usable = sum(not persona.unusable for persona in refined)
    return preview, claude.bills(), f"{len(refined)} refined, {usable} usable"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interviews", type=int, default=12)
    parser.add_argument(
        "--length",
        type=int,
        default=1,
        help="sample transcripts per interview (1 ≈ 800 tokens; real hour-long interviews "
        "are 6-10k tokens)",
    )
    parser.add_argument("--count", type=int, default=4)
    parser.add_argument("--refine-all", action="store_true")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeOllama() as ollama,
        FakeAnthropic(api_keys={KEY}) as claude,
    ):
        folder = Path(tmp) / "study"
        folder.mkdir()
        study(folder, args.interviews, args.length)
        reading = read_paths([folder])
        store = Store(Path(tmp) / "history.sqlite3")
        with OllamaClient(ollama.url) as client:
            request = GenerationRequest(model="llama3.2:3b", count=args.count, seed=1)
            local = SavedGeneration(
                OllamaEngine(client), reading, request, store, frontier_model=MODELS[0]
            )
            for _ in local.events():
                pass
        run = local.run
        print(
            f"study: {args.interviews} interviews, {len(reading.passages):,} passages, "
            f"~{reading.total_tokens:,} tokens; {len(run.records)} drafts"
        )
        for model in MODELS:
            name = fake_model(claude, model)
            plans: dict[str, tuple[Preview, list[Bill], str]] = {
                label: refine_with(run, reading, store, claude, model, args, plan)
                for label, plan in (
                    ("separate", "separate"),
                    ("cached", "cached"),
                    ("batched", "batched"),
                    ("picked", None),
                )
            }
            picked, bills, _ = plans["picked"]
            whole = whole_answers(picked)
            only = frontier_only(reading, len(run.records), name, whole / len(run.records))
            said = " (says: costs more than frontier-only)" if picked.costs_more else ""
            print(
                f"\n{model}: {len(picked.selected)} of {len(run.records)} drafts sent; "
                f"Persona picks {picked.plan}; the preview estimated "
                f"${picked.estimated_usd:.4f}{said}"
            )
            print(f"  frontier-only : {only.line()}  ({whole:,} output tokens of whole personas)")
            for label in ("separate", "cached", "batched"):
                dollars = billed(plans[label][1])
                print(
                    f"  {label:<13} : {dollars.line()}  ratio {dollars.total / only.total:.3f}"
                    f"  ({len(plans[label][1])} requests; {plans[label][2]})"
                )
            total = billed(bills)
            repairs = sum(item.mode == "repair" for item in picked.selected)
            print(
                f"  output alone  : ratio {total.by_kind['output'] / only.total:.3f} (whole "
                f"personas: {only.by_kind['output'] / only.total:.3f}; {repairs} of "
                f"{len(picked.selected)} drafts are unusable: the problems found are repaired)"
            )
            ratio = total.total / only.total
            verdict = "met" if ratio <= TARGET else "NOT met"
            above = "" if ratio <= 1 or picked.costs_more else "  ABOVE frontier-only, not said"
            print(
                f"  picked ratio  : {ratio:.3f} ({picked.plan}, ${total.total:.4f} vs "
                f"${only.total:.4f})   target <= {TARGET:.2f}: {verdict}{above}"
            )


if __name__ == "__main__":
    main()
