"""Verdicts computed once (verified, usable, redacted, declined) that every face shows."""

from __future__ import annotations

from persona.core.verdicts import cite, persona_status, quote_verdict, run_summary

__all__ = [
    "cite",
    "persona_status",
    "quote_verdict",
    "run_summary",
]
