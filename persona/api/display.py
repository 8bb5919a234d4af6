"""Showing untrusted text and numbers: research text and model output are always text."""

from __future__ import annotations

from persona.core.context import quote_context, short_excerpt
from persona.core.diff import to_html, word_diff
from persona.core.safe_text import escape_markdown
from persona.core.units import format_bytes, format_duration

__all__ = [
    "escape_markdown",
    "format_bytes",
    "format_duration",
    "quote_context",
    "short_excerpt",
    "to_html",
    "word_diff",
]
