"""How persona calls are shaped for the model at hand: a small model gets smaller tasks.

A model of a billion parameters or more writes several personas in one answer. A tiny model
(the built-in demo model, SmolLM2-135M) does not: asked for three at once it writes one, loops
or fills every field with the same words, and a repair costs as much as the call. What it can
do is one persona at a time with fewer claims to write, and each persona it finishes is kept
whatever the next call does. The choice rests on the model's own facts (its parameter count,
as every engine reports it), never on the engine, and every limit is told to the model in the
schema and the rules (:func:`persona.generation.prompts.persona_rules`).

Measured on SmolLM2-135M with the sample study (``bench/first_run.py``, seed 7, same
conditions): asked for 3 personas in one call it completed 1 in 3 calls (the first answer and
two repairs); one persona per call completed 3 in 3 calls, in about the same output tokens
(1,208 against 1,351). A frequency penalty of 0.5 made it worse (6 to 9 repeated claims per
persona against 0 to 3), so none is sent. None of its whole personas was usable under any
lever tried: they carry a participant's name and claims their passages do not support.

So where the study fits one call, a small model writes each persona part by part
(:mod:`persona.generation.parts`, ``by_parts``): one group of participants per persona, a
name chosen from invented names the schema offers, then one claim per section, each from one
passage shown to it. Measured with ``bench/first_run.py`` (seed 7, under load): whole
personas 0 of 3 usable on the sample study; part by part with a few passages per section 0 of
3; with one passage per claim 1 of 3; see bench/README.md for the numbers that followed.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from persona.core.schema import CLAIM_SECTIONS, MAX_CLAIMS
from persona.engines.base import ModelInfo

SMALL_MODEL = 1_000_000_000
"""Models with fewer parameters than this get :data:`SMALL`."""


@dataclass(frozen=True)
class Strategy:
    """The shape of persona calls: how many personas per call and how much each persona holds."""

    per_call: int | None = None
    """Most personas asked for in one call; None: as many as the context leaves room for."""
    claims: int = MAX_CLAIMS
    """Most claims per section (goals, pain points, behaviours, motivations)."""
    by_parts: bool = False
    """Each persona written part by part from one group of participants
    (:mod:`persona.generation.parts`) when the study fits one call."""


FULL = Strategy()
SMALL = Strategy(per_call=1, claims=2, by_parts=True)


def strategy_for(model: ModelInfo) -> Strategy:
    """:data:`SMALL` for a model known to have fewer than :data:`SMALL_MODEL` parameters, else
    :data:`FULL` (a model whose size is not reported is not assumed small)."""
    if model.parameters is not None and 0 < model.parameters < SMALL_MODEL:
        return SMALL
    return FULL


def shaped(schema: Mapping[str, Any], strategy: Strategy) -> dict[str, Any]:
    """The persona ``schema`` with each claim section limited to ``strategy.claims`` items."""
    out = copy.deepcopy(dict(schema))
    for definition in out.get("$defs", {}).values():
        properties = definition.get("properties", {})
        for section in CLAIM_SECTIONS:
            if isinstance(properties.get(section), dict):
                properties[section]["maxItems"] = strategy.claims
    return out
