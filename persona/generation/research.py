"""The research text a saved run needs again (to talk to its personas): the user's files,
checked against the run's fingerprints, or the copy History kept when the user opted in.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from persona.core.documents import Passage, with_passage_ids
from persona.core.errors import InputError
from persona.core.records import Run
from persona.ingest import Reading

COPY_FORMAT = "persona-research-copy"
COPY_VERSION = 1
LEGACY_SOURCE = "kept copy"
"""Where passages of a copy kept before copies recorded places are said to come from."""


def keep_copy(passages: Sequence[Passage]) -> str:
    """The research text as History keeps it when the user opts in: every passage with its
    place, speaker and whether it is citable, so a later chat quotes it exactly."""
    return json.dumps(
        {
            "format": COPY_FORMAT,
            "version": COPY_VERSION,
            "passages": [
                {
                    "id": p.id,
                    "source": p.source,
                    "locator": p.locator,
                    "participant": p.participant,
                    "citable": p.citable,
                    "question": p.question,
                    "cells": [list(cell) for cell in p.cells],
                    "text": p.text,
                }
                for p in passages
            ],
        },
        ensure_ascii=False,
    )


def passages_from_copy(text: str) -> list[Passage]:
    """The passages of a kept copy; a copy from before places were kept gives one per line."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and data.get("format") == COPY_FORMAT:
        return [
            Passage(
                source=str(item["source"]),
                locator=str(item["locator"]),
                text=str(item["text"]),
                id=str(item.get("id", "")),
                participant=str(item.get("participant", "")),
                citable=bool(item.get("citable", True)),
                question=str(item.get("question", "")),
                cells=tuple((str(name), str(value)) for name, value in item.get("cells", [])),
            )
            for item in data["passages"]
        ]
    lines = [line.strip() for line in text.splitlines()]
    return [
        Passage(LEGACY_SOURCE, f"passage {n}", line)
        for n, line in enumerate((line for line in lines if line), start=1)
    ]


def run_passages(run: Run, reading: Reading | None) -> list[Passage]:
    """The run's research passages, with IDs: from ``reading`` when it holds the run's files
    (checked by fingerprint), else from History's kept copy.

    Raises :class:`InputError` saying which files to upload when neither is available.
    """
    if reading is not None and reading.documents:
        return with_passage_ids(_matching_passages(run, reading))
    if run.research_text:
        return with_passage_ids(passages_from_copy(run.research_text))
    names = ", ".join(f.name for f in run.files) or "the run's files"
    raise InputError(
        f"To talk to these personas, upload the research files of this run again ({names}). "
        "History keeps only their fingerprints, unless you choose to keep a copy of the text."
    )


def _matching_passages(run: Run, reading: Reading) -> list[Passage]:
    """The passages of the uploaded files that are the run's files, in the run's order."""
    uploaded = {d.sha256: d for d in reading.documents}
    by_name = {d.name: d for d in reading.documents}
    changed = [f.name for f in run.files if f.sha256 not in uploaded and f.name in by_name]
    missing = [f.name for f in run.files if f.sha256 not in uploaded and f.name not in by_name]
    if changed:
        raise InputError(
            f"{', '.join(changed)} {'is' if len(changed) == 1 else 'are'} not the same as when "
            "this run was made (the fingerprint differs). Upload the exact files the run used."
        )
    if missing:
        raise InputError(
            f"Upload the rest of this run's files too: {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} missing."
        )
    return [p for f in run.files for p in uploaded[f.sha256].passages]
