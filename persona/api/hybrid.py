"""The hybrid step: a local draft refined by Claude, with consent, redaction and a cost cap.

The only door to a cloud API; nothing is sent before the user asks."""

from __future__ import annotations

from persona.hybrid.cloud import FrontierClient
from persona.hybrid.consent import changes
from persona.hybrid.keys import find_api_key, resolve_api_key
from persona.hybrid.preview import prepare
from persona.hybrid.redact import Redactor
from persona.hybrid.refine import dropped_text, refine
from persona.hybrid.spend import frontier_spend
from persona.hybrid.versions import choose

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
