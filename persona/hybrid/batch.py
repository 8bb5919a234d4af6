"""Several drafts in one request: the instructions, the schema and the passages paid once.

The *batched* plan sends every selected draft in one request: the system text and the
union of the passages they cite (redacted, each once, as :class:`~.caching.Shared` lists
them), then the drafts by key (``D1``, ``D2``…), each with its task and the IDs of its
passages. Claude answers one entry of changes per draft (:func:`~.changes.batch_format`).

Each entry is read on its own, as a single answer would be: rebuilt from its draft,
pseudonyms restored, validated (:func:`~.messages.rebuild`). Entries that do not validate are
sent back once, together, naming only those drafts; the other entries are kept. Drafts the
answer leaves out — missing, cut off at ``max_tokens``, or a declined batch — are listed in
:attr:`BatchOutcome.unanswered` for the caller to refine each on its own. What the batch cost
is shared among its drafts by the length of their answers (:attr:`BatchOutcome.weights`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from persona.hybrid.answer import RefinedPersona
from persona.hybrid.caching import Shared
from persona.hybrid.changes import CHANGES_RULES, REPAIR_RULES, batch_format
from persona.hybrid.cloud import DEFAULT_MAX_TOKENS, CallMeter, FrontierClient, billed_tokens
from persona.hybrid.compact import compact_json
from persona.hybrid.messages import REPAIR_ATTEMPTS, Request, problems_of, rebuild, reply_text
from persona.hybrid.payload import SYSTEM, Mode
from persona.hybrid.pricing import BilledTokens

BATCH_OUTPUT_TOKENS = 32_000
"""The most output tokens a batch may ask for (every current Claude model allows this)."""
TASKS: dict[Mode, str] = {
    "refine": (
        "refine: make the draft persona's wording clearer, more specific and consistent; "
        "keep, re-assign or drop citations among the passages given; drop claims they do not "
        "support. "
    ),
    "repair": (
        "repair: Persona's checks found the draft unusable, for the problems listed; a claim "
        f"that breaks a rule names its problem. {REPAIR_RULES}"
    ),
}
"""What each task asks; a batch explains only the tasks its drafts have."""


def batch_instructions(modes: Iterable[Mode]) -> str:
    """The instructions of a batch whose drafts have the tasks ``modes``."""
    present = set(modes)
    tasks = "".join(TASKS[mode] for mode in TASKS if mode in present)
    return (
        f"Each draft below has a key (such as D1) and a task. {tasks}Each draft lists the IDs "
        "of its own passages; their text is in the system prompt. Answer with one entry per "
        f"draft, in the order given, naming its key. {CHANGES_RULES}"
    )


BATCH_REPAIR = (
    "Your entries for {keys} do not match the schema: {problems}. Send the corrected "
    "entries for these drafts only, in the same schema, as JSON only."
)
_PERSONAS = re.compile(r'"personas"\s*:\s*\[')
_BETWEEN = re.compile(r"[\s,]*")


def batch_max_tokens(drafts: int, per_draft: int = DEFAULT_MAX_TOKENS) -> int:
    """The ``max_tokens`` of a batch of ``drafts``: as much as each would get on its own
    (``per_draft``), up to :data:`BATCH_OUTPUT_TOKENS`."""
    return min(BATCH_OUTPUT_TOKENS, drafts * per_draft)


def draft_key(position: int) -> str:
    """The key of the draft at ``position`` (from 0) in a batch."""
    return f"D{position + 1}"


@dataclass(frozen=True)
class BatchItem:
    """One draft of a batch: its key, its (redacted) payload and its task."""

    key: str
    data: Mapping[str, Any]
    mode: Mode


def batch_request(
    items: Sequence[BatchItem], shared: Shared, *, model: str, system: str = SYSTEM
) -> Request:
    """The one request that refines every draft of ``items``."""
    drafts = [
        {"draft": item.key, "task": item.mode, **Shared.message_data(item.data)} for item in items
    ]
    body = compact_json({"drafts": drafts})
    text = f"{batch_instructions(item.mode for item in items)}\n\n<data>\n{body}\n</data>"
    schema = batch_format(shared.ids, [item.key for item in items])
    return Request(model, shared.system(system), [{"role": "user", "content": text}], schema)


def complete_entries(text: str) -> list[Any]:
    """The entries of a batch answer that arrived whole: all of them, or those before the
    cut when the answer was cut off."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("personas"), list):
        return list(data["personas"])
    found = _PERSONAS.search(text)
    if found is None:
        return []
    decoder, position = json.JSONDecoder(), found.end()
    entries: list[Any] = []
    while True:
        position = _BETWEEN.match(text, position).end()  # type: ignore[union-attr]
        try:
            entry, position = decoder.raw_decode(text, position)
        except ValueError:
            return entries
        entries.append(entry)


@dataclass
class BatchOutcome:
    """What the batch answered, per draft key."""

    answers: dict[str, tuple[RefinedPersona, list[str]]] = field(default_factory=dict)
    """The refined persona and the kept claims ignored, per draft answered well."""
    failed: dict[str, str] = field(default_factory=dict)
    """The schema problems of drafts still wrong after the repair."""
    unanswered: list[str] = field(default_factory=list)
    """Drafts the answer left out (missing, cut off, declined): refine each on its own."""
    weights: dict[str, int] = field(default_factory=dict)
    """Characters of each draft's entries: how the batch's cost is shared."""
    usage: BilledTokens = field(default_factory=BilledTokens)
    model: str = ""
    attempts: int = 0
    cut_off: bool = False
    declined: bool = False
    """Claude declined the whole batch (``stop_reason`` refusal)."""


def refine_batch(
    client: FrontierClient,
    items: Sequence[BatchItem],
    shared: Shared,
    *,
    model: str,
    max_tokens: int,
    meter: CallMeter | None,
    restore: Callable[[Any], Any] | None = None,
) -> BatchOutcome:
    """Send ``items`` in one request and read each draft's entry (see the module docstring).
    API and budget failures raise as for one draft."""
    request = batch_request(items, shared, model=model)
    drafts = {item.key: item.data.get("persona") for item in items}
    outcome = BatchOutcome(model=model)
    pending = set(drafts)
    for attempt in range(1, REPAIR_ATTEMPTS + 2):
        reply, _ = client.send(request, max_tokens, meter)
        outcome.usage += billed_tokens(reply.usage)
        outcome.model, outcome.attempts = str(reply.model), attempt
        if reply.stop_reason == "refusal":
            outcome.declined = True
            break
        outcome.cut_off = outcome.cut_off or reply.stop_reason != "end_turn"
        text = reply_text(reply)
        problems = _read(text, pending, drafts, restore, outcome)
        outcome.failed.update(problems)
        if not problems or attempt > REPAIR_ATTEMPTS:
            break
        pending = set(problems)
        keys = ", ".join(sorted(problems))
        listed = "; ".join(f"{key}: {text}" for key, text in sorted(problems.items()))
        request = request.then(
            {"role": "assistant", "content": text or "(empty answer)"},
            {"role": "user", "content": BATCH_REPAIR.format(keys=keys, problems=listed)},
        )
    outcome.unanswered = [
        key for key in drafts if key not in outcome.answers and key not in outcome.failed
    ]
    return outcome


def _read(
    text: str,
    pending: set[str],
    drafts: Mapping[str, Any],
    restore: Callable[[Any], Any] | None,
    outcome: BatchOutcome,
) -> dict[str, str]:
    """Keep the valid entries for ``pending`` drafts; the problems of the others."""
    problems: dict[str, str] = {}
    for entry in complete_entries(text):
        key = entry.get("draft") if isinstance(entry, dict) else None
        if key not in pending or key in outcome.answers:
            continue  # not asked for, or answered twice: the first answer counts
        outcome.weights[key] = outcome.weights.get(key, 0) + len(json.dumps(entry))
        try:
            outcome.answers[key] = rebuild(entry, drafts[key], restore)
        except ValidationError as exc:
            problems[key] = problems_of(exc)
            continue
        outcome.failed.pop(key, None)
    return problems
