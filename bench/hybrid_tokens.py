"""Frontier input tokens: the hybrid run against sending the whole corpus to Claude.

    python -m bench.hybrid_tokens [--interviews 12] [--length 1] [--count 4] [--refine-all]

Drafts personas locally (fake Ollama, schema brain) from a generated study, refines them
through the fake Messages API, and counts the input tokens of every request the fake
received (billed Messages calls; free token counts are listed apart). Each hybrid request
is by reference: a draft's claims with the IDs of the passages they cite, and those
passages. The frontier-only figure is the request a cloud-only run would send: the persona
instructions, every passage and the by-reference output schema the local draft uses. Both
are counted the same two ways (the fake's word count, and Persona's 4-characters-per-token
estimate of the whole request body).
Target: ratio ≤ 0.30.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from persona.core.tokens import estimate_tokens
from persona.engines.ollama import OllamaClient
from persona.engines.ollama.engine import OllamaEngine
from persona.generation.generate import GenerationRequest, participant_names
from persona.generation.pipeline import SavedGeneration
from persona.generation.prompts import SYSTEM, names_clause, personas_prompt
from persona.generation.references import DRAFT_SCHEMA
from persona.history.store import Store
from persona.hybrid.cloud import FrontierClient
from persona.hybrid.refine import prepare, refine
from persona.ingest import read_paths
from tests.fake_anthropic import FakeAnthropic, fake_token_count
from tests.fake_ollama import FakeOllama

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "interviews"


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
        FakeAnthropic(api_keys={"sk-ant-bench"}) as claude,
    ):
        folder = Path(tmp) / "study"
        folder.mkdir()
        study(folder, args.interviews, args.length)
        reading = read_paths([folder])
        store = Store(Path(tmp) / "history.sqlite3")
        with OllamaClient(ollama.url) as client:
            request = GenerationRequest(model="llama3.2:3b", count=args.count, seed=1)
            local = SavedGeneration(
                OllamaEngine(client), reading, request, store, frontier_model="claude-sonnet-4-6"
            )
            for _ in local.events():
                pass
        run = local.run
        preview = prepare(
            run,
            reading.documents,
            model="claude-sonnet-4-6",
            threshold=101 if args.refine_all else 75,
            refine_all=args.refine_all,
        )
        frontier = FrontierClient("sk-ant-bench", base_url=claude.url, max_retries=0)
        for _ in refine(run, preview, frontier, store, consent=preview.consent):
            pass
        sent = [r.body for r in claude.requests("/v1/messages")]
        counts = len(claude.requests("/v1/messages/count_tokens"))
        hybrid_words = sum(fake_token_count(body) for body in sent)
        hybrid_estimate = sum(
            estimate_tokens(json.dumps(body, ensure_ascii=False)) for body in sent
        )
        only_body = {
            "system": SYSTEM,
            "messages": [
                {
                    "role": "user",
                    "content": personas_prompt(
                        reading.passages,
                        args.count,
                        "",
                        names=names_clause(participant_names(reading.passages)),
                    ),
                }
            ],
            "output_config": {"format": {"type": "json_schema", "schema": DRAFT_SCHEMA}},
        }
        only_words = fake_token_count(only_body)
        only_estimate = estimate_tokens(json.dumps(only_body, ensure_ascii=False))
    print(
        f"study: {args.interviews} interviews, {len(reading.passages):,} passages, "
        f"~{reading.total_tokens:,} tokens; {len(run.records)} drafts, "
        f"{len(preview.selected)} sent to Claude"
    )
    print(
        f"hybrid input      : {hybrid_words:>8,} words  {hybrid_estimate:>8,} est. tokens "
        f"({len(sent)} requests; {counts} token counts, not billed)"
    )
    print(f"frontier-only     : {only_words:>8,} words  {only_estimate:>8,} est. tokens")
    print(f"ratio (words)     : {hybrid_words / only_words:.3f}   target <= 0.30")
    print(f"ratio (est tokens): {hybrid_estimate / only_estimate:.3f}")


if __name__ == "__main__":
    main()
