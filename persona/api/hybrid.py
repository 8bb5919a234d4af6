"""The hybrid step: a local draft refined by Claude, with consent, redaction and a cost cap.

The only door to a cloud API; nothing is sent before the user asks."""

from __future__ import annotations

from persona.hybrid.cloud import FrontierClient, find_api_key, resolve_api_key
from persona.hybrid.consent import changes
from persona.hybrid.redact import Redactor
from persona.hybrid.refine import choose, dropped_text, prepare, refine
from persona.hybrid.spend import frontier_spend

__all__ = [
    "FrontierClient",
    "Redactor",
    "changes",
    "choose",
    "dropped_text",
    "find_api_key",
    "frontier_spend",
    "prepare",
    "refine",
    "resolve_api_key",
]
