"""The hybrid step: a local draft refined by Claude, with consent, redaction and a cost cap.

The only door to a cloud API; nothing is sent before the user asks. The sentences below are
said the same way by every face (the Hybrid page and ``persona generate --hybrid``)."""

from __future__ import annotations

from persona.core.records import PersonaRecord
from persona.hybrid.cloud import FrontierClient
from persona.hybrid.consent import Consent, changes
from persona.hybrid.keys import find_api_key, resolve_api_key
from persona.hybrid.preview import Preview, PreviewItem, prepare
from persona.hybrid.redact import Redactor
from persona.hybrid.refine import dropped_text, refine
from persona.hybrid.spend import FrontierSpend, frontier_spend
from persona.hybrid.versions import choose

__all__ = [
    "NOTHING_TO_REFINE",
    "Consent",
    "FrontierClient",
    "FrontierSpend",
    "Redactor",
    "cap_text",
    "changes",
    "choose",
    "costs_more_text",
    "dropped_text",
    "find_api_key",
    "frontier_spend",
    "gate_reasons",
    "gate_verdict",
    "overspend_text",
    "prepare",
    "refine",
    "replaced_text",
    "resolve_api_key",
    "unusable_text",
    "withheld_text",
]

NOTHING_TO_REFINE = "Every draft passed the quality gate: nothing needs refining."


def gate_reasons(item: PreviewItem) -> str:
    """Why a draft scored as it did: its unusable reasons, then the score's."""
    return "; ".join([*item.unusable, *item.score.reasons]) or "no problems found"


def gate_verdict(item: PreviewItem) -> str:
    """What the quality gate does with a draft: send it (and how), or keep it and why."""
    if item.selected:
        return f"send: {item.how}"
    return "keep as is" if item.ids else "keep (none of its passages can be sent)"


def replaced_text(preview: Preview) -> str:
    """What redaction replaced in what is sent: ``3 names, 1 e-mail``."""
    counts = ", ".join(f"{n} {kind}" for kind, n in preview.replaced().items())
    return counts or "no personal data found"


def withheld_text(preview: Preview) -> str:
    """The citations left out of what is sent, and why; empty when none is."""
    if not preview.withheld:
        return ""
    return (
        f"Not sent: {preview.withheld} citation(s) whose passage was not found word for word "
        "in your data or was not said by a participant."
    )


def cap_text(preview: Preview) -> str:
    """The budget cap in words: ``no cap`` or ``cap $1.00``."""
    return "no cap" if preview.cap_usd is None else f"cap ${preview.cap_usd:.2f}"


def costs_more_text(preview: Preview) -> str:
    """Before Send: the warning that refining is expected to cost more than sending the whole
    study to the frontier model (empty when it is not)."""
    if not preview.costs_more:
        return ""
    return (
        f"Refining is expected to cost more than sending all your data to {preview.model} in "
        f"one go (about ${preview.estimated_usd:.4f} against "
        f"${preview.frontier_only.usd:.4f}). Refine fewer drafts, or pick a cheaper model."
    )


def overspend_text(spend: FrontierSpend) -> str:
    """After Send: that the refinement cost more than a frontier-only run would have (empty
    when it did not)."""
    if not spend.costs_more:
        return ""
    return (
        f"This refinement cost more than a frontier-only run would have "
        f"(${spend.cost_usd:.4f} against about ${spend.frontier_only_usd:.4f})."
    )


def unusable_text(record: PersonaRecord) -> str:
    """Why Claude's version of ``record`` is unusable, and which version is kept; empty when
    it is usable (or there is none)."""
    if record.refined is None or not record.refined.unusable:
        return ""
    reasons = "; ".join(record.refined.unusable)
    if record.kept == "draft":
        return f"Claude's version is unusable ({reasons}); the draft is kept until you choose."
    if record.draft.unusable:
        return f"Claude's version is unusable ({reasons}); its draft is unusable too."
    return f"Claude's version is unusable ({reasons})."
